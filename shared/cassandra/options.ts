import type { AdclickConfig } from '../config/types.ts';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';

/** Consistency levels adclick uses (names of cassandra-driver's `types.consistencies`). */
export type CassandraConsistency = 'localOne' | 'localQuorum' | 'one' | 'quorum' | 'all';

/** How to reach a Cassandra cluster. Build it with {@link cassandraOptionsFrom}. */
export interface CassandraOptions {
  /** `host:port` of at least one node; the driver discovers the others from it. */
  contactPoints: string[];
  /** Data center whose nodes are queried (`datacenter1` for the local node's SimpleSnitch). */
  localDataCenter: string;
  /** Session keyspace; leave unset to connect before the keyspace exists. */
  keyspace?: string;
  username?: string;
  password?: string;
  /** TCP connect timeout per node (default 5 s). */
  connectTimeoutMs: number;
  /**
   * Client-side timeout of one request (default 12 s). Kept above the server's own write (2 s)
   * and read (5 s) timeouts so the server's more precise error arrives first.
   */
  requestTimeoutMs: number;
  /** Default consistency (default LOCAL_QUORUM: numbers are money, so reads see acknowledged writes). */
  consistency: CassandraConsistency;
  /** Upper bound of the reconnection backoff after a node goes away (default 30 s). */
  maxReconnectDelayMs: number;
  /** Named in Cassandra's client list and in our logs, e.g. `adclick-speed`. */
  applicationName: string;
}

export const CASSANDRA_DEFAULTS = {
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 12_000,
  consistency: 'localQuorum',
  maxReconnectDelayMs: 30_000,
  applicationName: 'adclick',
} as const satisfies Partial<CassandraOptions>;

/**
 * Options for the cluster the configuration points at, with the configured keyspace as session
 * keyspace. `overrides` lets a caller drop the keyspace (`keyspace: undefined`) or tune timeouts.
 */
export function cassandraOptionsFrom(
  config: AdclickConfig,
  overrides: Partial<CassandraOptions> = {},
): CassandraOptions {
  return {
    contactPoints: [...config.cassandra.contactPoints],
    localDataCenter: config.cassandra.localDataCenter,
    keyspace: config.cassandra.keyspace,
    username: config.cassandra.username,
    password: config.cassandra.password,
    ...CASSANDRA_DEFAULTS,
    ...overrides,
  };
}

/** `[host, port]` of a `host:port` contact point (IPv6 as `[::1]:9042`). */
export function splitHostPort(contactPoint: string): [string, number] {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(contactPoint);
  const port = Number(match?.[2]);
  if (match === null || port < 1 || port > 65535) {
    throw new AdclickError(
      ErrorCodes.CONFIG_INVALID,
      `cassandra contact point "${contactPoint}" is not host:port`,
    );
  }
  return [match[1]!, port];
}

/** Fails with the failing path named when the options cannot work. */
export function validateCassandraOptions(options: CassandraOptions): void {
  const fail = (path: string, reason: string): never => {
    throw new AdclickError(ErrorCodes.CONFIG_INVALID, `cassandra.${path}: ${reason}`);
  };
  if (options.contactPoints.length === 0) fail('contactPoints', 'at least one host:port is required');
  options.contactPoints.forEach((point, i) => {
    try {
      splitHostPort(point);
    } catch {
      fail(`contactPoints[${i}]`, `expected host:port, got "${point}"`);
    }
  });
  if (options.localDataCenter.trim() === '') fail('localDataCenter', 'must not be empty');
  if (options.keyspace !== undefined && !/^[a-z][a-z0-9_]{0,47}$/.test(options.keyspace)) {
    fail('keyspace', `expected lower-case letters, digits and _ (max 48), got "${options.keyspace}"`);
  }
  if ((options.username === undefined) !== (options.password === undefined)) {
    fail('username', 'username and password are set together or not at all');
  }
  for (const key of ['connectTimeoutMs', 'requestTimeoutMs', 'maxReconnectDelayMs'] as const) {
    if (!Number.isInteger(options[key]) || options[key] <= 0)
      fail(key, `expected a positive integer, got ${options[key]}`);
  }
}
