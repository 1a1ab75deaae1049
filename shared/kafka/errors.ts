import { AdclickError, type ErrorCode, ErrorCodes } from '../errors/errors.ts';
import { isNetworkErrorCode } from '../errors/network.ts';

/** Protocol error types that mean the request itself is wrong; retrying the same one cannot help. */
const INVALID_INPUT_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_REQUIRED_ACKS',
  'INVALID_CONFIG',
  'CORRUPT_MESSAGE',
  'INVALID_RECORD',
]);

/** kafkajs errors that mean a broker cannot be reached or is not ready yet. */
const UNAVAILABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSNumberOfRetriesExceeded',
]);

/** The fields kafkajs errors carry (read structurally: kafkajs's error classes are not ESM exports). */
interface KafkaJsErrorShape {
  name: string;
  message: string;
  retriable?: boolean;
  /** Protocol errors: the Kafka error name, e.g. `UNKNOWN_TOPIC_OR_PARTITION`. */
  type?: string;
  code?: unknown;
  cause?: unknown;
}

/**
 * The one place kafkajs errors become `AdclickError`s. Connection, broker, timeout and other
 * transient failures are `UNAVAILABLE` and retryable; authorization, bad requests and unknown
 * topics get their own codes. `context` says what was being done ("producing to ad-clicks").
 */
export function translateKafkaError(error: unknown, context = 'Kafka call'): AdclickError {
  if (error instanceof AdclickError) return error;
  let inner = error;
  // kafkajs wraps the last attempt's error once its retries are spent; classify by that one.
  if (error instanceof Error && error.name === 'KafkaJSNumberOfRetriesExceeded' && error.cause) {
    inner = error.cause;
  }
  const shape = inner instanceof Error ? (inner as KafkaJsErrorShape) : undefined;
  const [code, retryable] = classify(shape);
  const details: Record<string, unknown> = {};
  if (shape) details.kafkaError = shape.name;
  if (typeof shape?.type === 'string') details.kafkaType = shape.type;
  const message = shape?.message ?? String(inner);
  return new AdclickError(code, `${context} failed: ${message}`, { retryable, cause: error, details });
}

function classify(error: KafkaJsErrorShape | undefined): [ErrorCode, boolean] {
  if (error === undefined) return [ErrorCodes.INTERNAL, false];
  const { name, type } = error;
  const retriable = error.retriable === true;
  if (name.startsWith('KafkaJS') && typeof type === 'string') {
    if (type.endsWith('AUTHORIZATION_FAILED')) return [ErrorCodes.FORBIDDEN, false];
    if (type.startsWith('SASL_') || type === 'ILLEGAL_SASL_STATE') return [ErrorCodes.UNAUTHENTICATED, false];
    if (type === 'UNKNOWN_TOPIC_OR_PARTITION') return [ErrorCodes.NOT_FOUND, retriable];
    if (INVALID_INPUT_TYPES.has(type)) return [ErrorCodes.INVALID_INPUT, false];
    if (type === 'REQUEST_TIMED_OUT') return [ErrorCodes.TIMEOUT, true];
    return retriable ? [ErrorCodes.UNAVAILABLE, true] : [ErrorCodes.INTERNAL, false];
  }
  if (name === 'KafkaJSSASLAuthenticationError') return [ErrorCodes.UNAUTHENTICATED, false];
  if (name === 'KafkaJSTimeout' || name === 'KafkaJSLockTimeout') return [ErrorCodes.TIMEOUT, true];
  if (UNAVAILABLE_NAMES.has(name)) return [ErrorCodes.UNAVAILABLE, true];
  if (isNetworkErrorCode(error.code)) return [ErrorCodes.UNAVAILABLE, true];
  if (name.startsWith('KafkaJS')) {
    return retriable ? [ErrorCodes.UNAVAILABLE, true] : [ErrorCodes.INTERNAL, false];
  }
  return [ErrorCodes.INTERNAL, false];
}
