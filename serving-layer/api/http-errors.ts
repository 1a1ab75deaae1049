import { type AdclickError, type ErrorCode, ErrorCodes } from '../../shared/errors/errors.ts';

/** The one place AdclickError codes become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  [ErrorCodes.INVALID_INPUT]: 400,
  [ErrorCodes.UNAUTHENTICATED]: 401,
  [ErrorCodes.FORBIDDEN]: 403,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.PAYLOAD_TOO_LARGE]: 413,
  [ErrorCodes.UNAVAILABLE]: 503,
  [ErrorCodes.NOT_STARTED]: 503,
  [ErrorCodes.TIMEOUT]: 504,
  [ErrorCodes.CONFIG_INVALID]: 500,
  [ErrorCodes.INFRA]: 500,
  [ErrorCodes.INTERNAL]: 500,
};

/** HTTP status of an error code. */
export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/**
 * The JSON body of an error answer. Server-side failures get a generic message so vendor details
 * (hosts, queries) stay in the log.
 */
export function errorBody(error: AdclickError): { error: string; parameter?: string } {
  const status = statusOf(error.code);
  if (status >= 500)
    return { error: status === 503 ? 'a backing store is unavailable, retry later' : 'internal error' };
  const parameter = error.details.parameter;
  return typeof parameter === 'string' ? { error: error.message, parameter } : { error: error.message };
}
