import { Redis } from 'ioredis';
import type { Logger } from '../logger/logger.ts';
import { translateRedisError } from './errors.ts';
import { type RedisOptions, redactRedisUrl, resolveRedisOptions } from './options.ts';

/**
 * The one place an ioredis client is built: validated options, exponential reconnect backoff,
 * and connection errors logged once per outage (ioredis would otherwise print "Unhandled error
 * event" on every reconnect attempt). Pass `maxRetriesPerRequest: null` for BullMQ workers.
 *
 * @throws AdclickError `CONFIG_INVALID` naming the failing option.
 */
export function createRedis(options: RedisOptions, logger: Logger): Redis {
  const o = resolveRedisOptions(options);
  const log = logger.child({ component: 'redis', url: redactRedisUrl(o.url) });
  const client = new Redis(o.url, {
    maxRetriesPerRequest: o.maxRetriesPerRequest,
    connectTimeout: o.connectTimeoutMs,
    enableOfflineQueue: !o.failFastWhenDisconnected,
    connectionName: o.connectionName,
    retryStrategy: (attempt) =>
      Math.min(o.reconnectInitialDelayMs * 2 ** (attempt - 1), o.reconnectMaxDelayMs),
  });
  let reported = false;
  client.on('error', (error: unknown) => {
    if (reported) return;
    reported = true;
    const e = translateRedisError(error, 'Redis connection');
    log.warn({ code: e.code, err: e.message }, 'Redis connection error; reconnecting');
  });
  client.on('ready', () => {
    if (reported) log.info({}, 'Redis connection restored');
    reported = false;
  });
  return client;
}

/**
 * PING with a deadline: the health check of a Redis connection.
 *
 * @throws AdclickError `UNAVAILABLE`/`TIMEOUT` when Redis does not answer in time.
 */
export async function pingRedis(client: Redis, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // "Max retries reached" says less than the connection error behind it; report that one.
  let connectionError: unknown;
  const onError = (error: unknown) => {
    connectionError = error;
  };
  client.on('error', onError);
  try {
    const reply = await Promise.race([
      client.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Command timed out (PING)')), timeoutMs);
      }),
    ]);
    if (reply !== 'PONG') throw new Error(`unexpected PING reply ${String(reply)}`);
  } catch (error) {
    const cause =
      (error as Error).name === 'MaxRetriesPerRequestError' && connectionError ? connectionError : error;
    throw translateRedisError(cause, 'PING');
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
}

export { translateRedisError } from './errors.ts';
export { type RedisOptions, redisOptionsFrom } from './options.ts';
