import { auth, Client, policies, types } from 'cassandra-driver';
import type { Logger } from '../logger/logger.ts';
import { translateCassandraError } from './errors.ts';
import { type CassandraOptions, splitHostPort, validateCassandraOptions } from './options.ts';

/**
 * Creates a cassandra-driver `Client` (not yet connected: call {@link connectCassandraClient} or
 * let the first `execute` connect). Every statement is prepared by default, the default
 * consistency is `options.consistency`, and the driver's own warnings go to `logger`.
 *
 * @throws AdclickError `CONFIG_INVALID` naming the failing option.
 */
export function createCassandraClient(options: CassandraOptions, logger?: Logger): Client {
  validateCassandraOptions(options);
  const [, firstPort] = splitHostPort(options.contactPoints[0]!);
  const client = new Client({
    contactPoints: options.contactPoints,
    localDataCenter: options.localDataCenter,
    keyspace: options.keyspace,
    applicationName: options.applicationName,
    // Nodes discovered from system.peers carry no port in protocol v4; use the contact point's.
    protocolOptions: { port: firstPort },
    authProvider:
      options.username !== undefined && options.password !== undefined
        ? new auth.PlainTextAuthProvider(options.username, options.password)
        : undefined,
    socketOptions: {
      connectTimeout: options.connectTimeoutMs,
      readTimeout: options.requestTimeoutMs,
    },
    queryOptions: {
      prepare: true,
      consistency: types.consistencies[options.consistency],
    },
    policies: {
      reconnection: new policies.reconnection.ExponentialReconnectionPolicy(
        500,
        options.maxReconnectDelayMs,
        false,
      ),
    },
    // Cassandra's own driver-insights RPC is a DataStax cloud feature; it only logs noise here.
    monitorReporting: { enabled: false },
  });
  if (logger !== undefined) {
    const log = logger.child({ component: 'cassandra-driver' });
    client.on('log', (level: string, className: string, message: string) => {
      if (level === 'error') log.error({ className }, message);
      else if (level === 'warning') log.warn({ className }, message);
    });
  }
  return client;
}

/**
 * Creates a client and connects it, so a wrong address or a stopped cluster fails here (as
 * `UNAVAILABLE`, naming the addresses tried) rather than on the first query.
 */
export async function connectCassandraClient(options: CassandraOptions, logger?: Logger): Promise<Client> {
  const client = createCassandraClient(options, logger);
  try {
    await client.connect();
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    throw translateCassandraError(error, { operation: 'connect', contactPoints: options.contactPoints });
  }
  return client;
}
