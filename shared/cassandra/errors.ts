import { errors, types } from 'cassandra-driver';
import { AdclickError, type ErrorCode, ErrorCodes } from '../errors/errors.ts';

/** What the failing call was doing, for the message (e.g. `write speed_ad_minute_counts`). */
export interface CassandraErrorContext {
  operation?: string;
  /** Named when the driver could not say which hosts it tried. */
  contactPoints?: string[];
}

const codes = types.responseErrorCodes;

/** Server error codes that mean "the cluster cannot serve this right now": worth a retry. */
const UNAVAILABLE_CODES = new Set<number>([
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.truncateError,
  codes.readFailure,
  codes.writeFailure,
  codes.serverError,
]);

const TIMEOUT_CODES = new Set<number>([codes.writeTimeout, codes.readTimeout]);

/** Server error codes that mean the request itself is wrong: retrying sends the same bug again. */
const CLIENT_BUG_CODES = new Set<number>([
  codes.syntaxError,
  codes.invalid,
  codes.configError,
  codes.alreadyExists,
  codes.unprepared,
  codes.protocolError,
  codes.functionFailure,
]);

/**
 * The one place a cassandra-driver error becomes an {@link AdclickError}: unreachable or
 * overloaded cluster → `UNAVAILABLE` (retryable); client or server timeout → `TIMEOUT`
 * (retryable); a bad statement → `INTERNAL`; bad credentials → `CONFIG_INVALID`. An
 * `AdclickError` passes through unchanged.
 */
export function translateCassandraError(error: unknown, context: CassandraErrorContext = {}): AdclickError {
  if (error instanceof AdclickError) return error;
  const op = context.operation === undefined ? 'Cassandra' : `Cassandra ${context.operation}`;
  const make = (
    code: ErrorCode,
    retryable: boolean,
    message: string,
    details: Record<string, unknown> = {},
  ) => new AdclickError(code, message, { retryable, cause: error, details });

  if (error instanceof errors.NoHostAvailableError) {
    const inner = (error.innerErrors ?? {}) as Record<string, unknown>;
    const tried = Object.keys(inner);
    const addresses = tried.length > 0 ? tried : (context.contactPoints ?? []);
    const reasons = tried.map((host) => `${host}: ${describe(inner[host])}`).join('; ');
    return make(
      ErrorCodes.UNAVAILABLE,
      true,
      `${op} failed: no Cassandra node reachable at ${addresses.join(', ') || '(no hosts)'}` +
        (reasons === '' ? ` (${error.message})` : ` (${reasons})`),
      { addresses },
    );
  }
  if (error instanceof errors.OperationTimedOutError) {
    return make(ErrorCodes.TIMEOUT, true, `${op} timed out on the client: ${error.message}`, {
      address: error.host,
    });
  }
  if (error instanceof errors.BusyConnectionError) {
    return make(ErrorCodes.UNAVAILABLE, true, `${op} failed: ${error.message}`);
  }
  if (error instanceof errors.AuthenticationError) {
    return make(
      ErrorCodes.CONFIG_INVALID,
      false,
      `${op} failed to authenticate (check CASSANDRA_USERNAME / CASSANDRA_PASSWORD): ${error.message}`,
    );
  }
  if (error instanceof errors.ResponseError) {
    const details = { cassandraCode: `0x${error.code.toString(16).padStart(4, '0')}` };
    if (TIMEOUT_CODES.has(error.code)) {
      return make(ErrorCodes.TIMEOUT, true, `${op} timed out on the server: ${error.message}`, details);
    }
    if (UNAVAILABLE_CODES.has(error.code)) {
      return make(
        ErrorCodes.UNAVAILABLE,
        true,
        `${op} failed, cluster unavailable: ${error.message}`,
        details,
      );
    }
    if (error.code === codes.badCredentials || error.code === codes.unauthorized) {
      return make(
        ErrorCodes.CONFIG_INVALID,
        false,
        `${op} was refused (check CASSANDRA_USERNAME / CASSANDRA_PASSWORD and grants): ${error.message}`,
        details,
      );
    }
    if (CLIENT_BUG_CODES.has(error.code)) {
      return make(ErrorCodes.INTERNAL, false, `${op} rejected the statement: ${error.message}`, details);
    }
  }
  return make(ErrorCodes.INTERNAL, false, `${op} failed: ${describe(error)}`);
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
