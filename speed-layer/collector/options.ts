import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';

/** Options of the collector (`POST /v1/clicks`). */
export interface CollectorOptions {
  host: string;
  /** Listen port; 0 picks a free one (tests). */
  port: number;
  /** Topic the accepted clicks are produced to. */
  topic: string;
  /** Largest request body in bytes (default 5 MiB); larger → 413. */
  maxBodyBytes?: number;
  /** Most events in one request (default 10,000); more → 413. */
  maxEvents?: number;
  /** Requests handled at once; more → 503 (default 64). */
  maxConcurrentRequests?: number;
  /** `Retry-After` seconds of a 503 (default 1). */
  retryAfterSeconds?: number;
  /** Time a client has to send its whole body; slower → 408 and the connection is closed (default 30 s). */
  bodyTimeoutMs?: number;
}

export const COLLECTOR_DEFAULTS = {
  maxBodyBytes: 5 * 1024 * 1024,
  maxEvents: 10_000,
  maxConcurrentRequests: 64,
  retryAfterSeconds: 1,
  bodyTimeoutMs: 30_000,
} as const;

export type ResolvedCollectorOptions = Required<CollectorOptions>;

/**
 * Fills defaults and checks every option.
 *
 * @throws AdclickError `CONFIG_INVALID` naming the failing option.
 */
export function resolveCollectorOptions(o: CollectorOptions): ResolvedCollectorOptions {
  const r = { ...COLLECTOR_DEFAULTS, ...o };
  const fail = (path: string, why: string): never => {
    throw new AdclickError(ErrorCodes.CONFIG_INVALID, `collector.${path}: ${why}`, { details: { path } });
  };
  if (!Number.isInteger(r.port) || r.port < 0 || r.port > 65535)
    fail('port', `expected 0–65535, got ${r.port}`);
  if (r.topic.trim() === '') fail('topic', 'must not be empty');
  for (const key of [
    'maxBodyBytes',
    'maxEvents',
    'maxConcurrentRequests',
    'retryAfterSeconds',
    'bodyTimeoutMs',
  ] as const) {
    if (!Number.isInteger(r[key]) || r[key] < 1) fail(key, `expected a whole number ≥ 1, got ${r[key]}`);
  }
  return r;
}
