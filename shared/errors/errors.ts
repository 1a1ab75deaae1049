/**
 * The one error type of adclick. Every failure that crosses a module boundary is an
 * `AdclickError` with a stable string `code` (what callers branch on, and what the HTTP layer
 * maps to a status) and a `retryable` flag (whether trying the same call again may succeed).
 *
 * Adapters translate their vendor's errors into this type in one place each, so no caller ever
 * needs to know what a kafkajs or cassandra-driver error looks like.
 */
export class AdclickError extends Error {
  override readonly name = 'AdclickError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** Structured details safe to log and to show to a client (never secrets). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

/** Every error code adclick uses. Add codes here, never ad-hoc strings elsewhere. */
export const ErrorCodes = {
  /** Configuration is missing or invalid; the message names the failing path. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** Input from a client or producer breaks the contract (HTTP 400, DLQ record). */
  INVALID_INPUT: 'INVALID_INPUT',
  /** A request body is larger than allowed (HTTP 413). */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** Missing or unknown credentials (HTTP 401). */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** Valid credentials without access to the resource (HTTP 403). */
  FORBIDDEN: 'FORBIDDEN',
  /** The requested thing does not exist (HTTP 404). */
  NOT_FOUND: 'NOT_FOUND',
  /** A dependency (Kafka, Cassandra, S3, Redis) cannot be reached or is overloaded (HTTP 503). */
  UNAVAILABLE: 'UNAVAILABLE',
  /** A call took longer than allowed. */
  TIMEOUT: 'TIMEOUT',
  /** A component was used before `start()` or after `close()`. */
  NOT_STARTED: 'NOT_STARTED',
  /** Local infrastructure could not be installed, started or stopped. */
  INFRA: 'INFRA',
  /** A bug or an unexpected vendor answer; never expected in normal operation. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** True for an `AdclickError` (or anything else) that says a retry may help. */
export function isRetryable(error: unknown): boolean {
  return error instanceof AdclickError && error.retryable;
}

/**
 * Checks an option given in code (not through the environment): throws `CONFIG_INVALID` naming
 * `path` unless `value` is a whole number ≥ `min`.
 */
export function requireWholeNumber(path: string, value: number, min = 0): void {
  if (!Number.isInteger(value) || value < min)
    throw new AdclickError(ErrorCodes.CONFIG_INVALID, `${path} must be a whole number ≥ ${min}`, {
      details: { path },
    });
}

/** Wraps anything thrown into an `AdclickError`, keeping an existing one as it is. */
export function toAdclickError(error: unknown, fallback: ErrorCode = ErrorCodes.INTERNAL): AdclickError {
  if (error instanceof AdclickError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AdclickError(fallback, message, { cause: error });
}
