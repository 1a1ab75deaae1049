import type { AdclickConfig } from '../config/types.ts';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';

/** Options of `createRedis`. */
export interface RedisOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /**
   * Times a command is retried across reconnects before it fails (default 3). BullMQ workers (and
   * anything issuing blocking commands) need `null`: wait for the connection indefinitely.
   */
  maxRetriesPerRequest?: number | null;
  /** TCP connect timeout (default 5 s). */
  connectTimeoutMs?: number;
  /** Reconnect backoff: first delay (default 100 ms), doubling up to `reconnectMaxDelayMs`. */
  reconnectInitialDelayMs?: number;
  /** Largest reconnect delay (default 5 s). */
  reconnectMaxDelayMs?: number;
  /** Fail immediately instead of queueing commands while disconnected (default false). */
  failFastWhenDisconnected?: boolean;
  /** Shown in `CLIENT LIST`, e.g. `adclick-batch-worker`. */
  connectionName?: string;
}

export const REDIS_DEFAULTS = {
  maxRetriesPerRequest: 3,
  connectTimeoutMs: 5000,
  reconnectInitialDelayMs: 100,
  reconnectMaxDelayMs: 5000,
  failFastWhenDisconnected: false,
} as const;

/** `RedisOptions` with every default filled in. */
export type ResolvedRedisOptions = Omit<Required<RedisOptions>, 'connectionName'> & {
  connectionName?: string;
};

/** The Redis options of a process, from its configuration. */
export function redisOptionsFrom(config: AdclickConfig, overrides: Partial<RedisOptions> = {}): RedisOptions {
  return { url: config.redis.url, ...overrides };
}

/**
 * Fills defaults and checks every field.
 *
 * @throws AdclickError `CONFIG_INVALID` naming the failing path (e.g. `redis.url`).
 */
export function resolveRedisOptions(options: RedisOptions): ResolvedRedisOptions {
  const fail = (path: string, reason: string): never => {
    throw new AdclickError(ErrorCodes.CONFIG_INVALID, `redis.${path}: ${reason}`, { details: { path } });
  };
  if (!/^rediss?:\/\/\S+$/.test(options.url)) fail('url', 'expected redis://host:port or rediss://host:port');
  const resolved = {
    ...REDIS_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as ResolvedRedisOptions;
  const m = resolved.maxRetriesPerRequest;
  if (m !== null && (!Number.isInteger(m) || m < 0)) {
    fail('maxRetriesPerRequest', `expected a whole number ≥ 0 or null, got ${m}`);
  }
  for (const key of ['connectTimeoutMs', 'reconnectInitialDelayMs', 'reconnectMaxDelayMs'] as const) {
    const value = resolved[key];
    if (!Number.isFinite(value) || value <= 0) fail(key, `expected a positive number of ms, got ${value}`);
  }
  return resolved;
}

/** A redacted form of a Redis URL for logs and messages (no password). */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
