import { AdclickError, type ErrorCode, ErrorCodes } from '../errors/errors.ts';
import { isNetworkErrorCode } from '../errors/network.ts';

const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound', 'NoSuchUpload']);
const UNAUTHENTICATED_NAMES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken']);
const UNAVAILABLE_NAMES = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'Throttling']);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
/** The fields AWS SDK v3 errors carry (service exceptions and the node HTTP handler's errors). */
interface AwsErrorShape {
  name: string;
  message: string;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * The one place AWS SDK (S3) errors become `AdclickError`s: a missing key or bucket is
 * `NOT_FOUND`, bad credentials `UNAUTHENTICATED`, denied access `FORBIDDEN`, an unreachable or
 * overloaded store `UNAVAILABLE` (retryable). `context` says what was being done.
 */
export function translateS3Error(error: unknown, context = 'S3 call'): AdclickError {
  if (error instanceof AdclickError) return error;
  const shape = error instanceof Error ? (error as AwsErrorShape) : undefined;
  const [code, retryable] = classify(shape);
  const status = shape?.$metadata?.httpStatusCode;
  const details: Record<string, unknown> = {};
  if (shape) details.s3Error = shape.name;
  if (status !== undefined) details.httpStatus = status;
  const reason = shape ? `${shape.name}: ${shape.message || status || 'no message'}` : String(error);
  return new AdclickError(code, `${context} failed: ${reason}`, { retryable, cause: error, details });
}

function classify(error: AwsErrorShape | undefined): [ErrorCode, boolean] {
  if (error === undefined) return [ErrorCodes.INTERNAL, false];
  const status = error.$metadata?.httpStatusCode;
  if (NOT_FOUND_NAMES.has(error.name) || status === 404) return [ErrorCodes.NOT_FOUND, false];
  if (UNAUTHENTICATED_NAMES.has(error.name)) return [ErrorCodes.UNAUTHENTICATED, false];
  if (error.name === 'AccessDenied' || status === 403) return [ErrorCodes.FORBIDDEN, false];
  if (TIMEOUT_NAMES.has(error.name)) return [ErrorCodes.TIMEOUT, true];
  if (isNetworkErrorCode(error.code)) return [ErrorCodes.UNAVAILABLE, true];
  if (UNAVAILABLE_NAMES.has(error.name) || (status !== undefined && (status >= 500 || status === 429))) {
    return [ErrorCodes.UNAVAILABLE, true];
  }
  if (status !== undefined && status >= 400) return [ErrorCodes.INVALID_INPUT, false];
  return [ErrorCodes.INTERNAL, false];
}
