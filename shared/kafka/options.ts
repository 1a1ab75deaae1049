import type { AdclickConfig } from '../config/types.ts';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';

/** Which kafkajs messages reach the injected logger (kafkajs filters before calling it). */
export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

/** How kafkajs retries a failed request before giving up with an error. */
export interface KafkaRetryOptions {
  /** Attempts after the first one (default 8). */
  retries?: number;
  /** First backoff (default 300 ms); grows by kafkajs's factor with jitter. */
  initialRetryTimeMs?: number;
  /** Largest single backoff (default 10 s). */
  maxRetryTimeMs?: number;
}

/** Options of `createKafka`. */
export interface KafkaOptions {
  /** host:port of at least one broker. */
  brokers: string[];
  clientId: string;
  /** TCP connect timeout per broker (default 3 s). */
  connectionTimeoutMs?: number;
  /** Time a broker has to answer one request (default 30 s). */
  requestTimeoutMs?: number;
  retry?: KafkaRetryOptions;
  /** Default `warn`. */
  logLevel?: KafkaLogLevel;
}

export const KAFKA_DEFAULTS = {
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 30_000,
  retry: { retries: 8, initialRetryTimeMs: 300, maxRetryTimeMs: 10_000 },
  logLevel: 'warn',
} as const satisfies Omit<Required<KafkaOptions>, 'brokers' | 'clientId'>;

/** The Kafka client options of a process, from its configuration. */
export function kafkaOptionsFrom(config: AdclickConfig, overrides: Partial<KafkaOptions> = {}): KafkaOptions {
  return { brokers: config.kafka.brokers, clientId: config.kafka.clientId, ...overrides };
}

/**
 * Fills defaults and checks every field.
 *
 * @throws AdclickError `CONFIG_INVALID` naming the failing path (e.g. `kafka.brokers[0]`).
 */
export function resolveKafkaOptions(options: KafkaOptions): Required<KafkaOptions> & {
  retry: Required<KafkaRetryOptions>;
} {
  const fail = (path: string, reason: string): never => {
    throw new AdclickError(ErrorCodes.CONFIG_INVALID, `kafka.${path}: ${reason}`, { details: { path } });
  };
  if (options.brokers.length === 0) fail('brokers', 'expected at least one host:port');
  options.brokers.forEach((b, i) => {
    if (!/^[^\s]+:\d{1,5}$/.test(b)) fail(`brokers[${i}]`, `expected host:port, got "${b}"`);
  });
  if (options.clientId.trim() === '') fail('clientId', 'must not be empty');
  const resolved = {
    brokers: options.brokers,
    clientId: options.clientId,
    connectionTimeoutMs: options.connectionTimeoutMs ?? KAFKA_DEFAULTS.connectionTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? KAFKA_DEFAULTS.requestTimeoutMs,
    retry: { ...KAFKA_DEFAULTS.retry, ...options.retry },
    logLevel: options.logLevel ?? KAFKA_DEFAULTS.logLevel,
  };
  for (const [path, value] of [
    ['connectionTimeoutMs', resolved.connectionTimeoutMs],
    ['requestTimeoutMs', resolved.requestTimeoutMs],
    ['retry.initialRetryTimeMs', resolved.retry.initialRetryTimeMs],
    ['retry.maxRetryTimeMs', resolved.retry.maxRetryTimeMs],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) fail(path, `expected a positive number of ms, got ${value}`);
  }
  if (!Number.isInteger(resolved.retry.retries) || resolved.retry.retries < 0) {
    fail('retry.retries', `expected a whole number ≥ 0, got ${resolved.retry.retries}`);
  }
  return resolved;
}
