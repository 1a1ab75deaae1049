import { AdclickError, type ErrorCode, ErrorCodes } from '../errors/errors.ts';
import { isNetworkErrorCode } from '../errors/network.ts';

/** Reply prefixes of a server that is up but cannot serve this command right now. */
const TRANSIENT_REPLIES = ['LOADING', 'BUSY', 'READONLY', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN', 'OOM'];

/**
 * The one place ioredis errors become `AdclickError`s: a connection that is down, closed or out of
 * retries is `UNAVAILABLE` (retryable), as is a server still loading its data; authentication
 * replies are `UNAUTHENTICATED`; any other error reply is a bug (`INTERNAL`).
 */
export function translateRedisError(error: unknown, context = 'Redis call'): AdclickError {
  if (error instanceof AdclickError) return error;
  const e = error instanceof Error ? (error as Error & { code?: unknown }) : undefined;
  const [code, retryable] = classify(e);
  const details: Record<string, unknown> = {};
  if (e) details.redisError = e.name;
  return new AdclickError(code, `${context} failed: ${e?.message ?? String(error)}`, {
    retryable,
    cause: error,
    details,
  });
}

function classify(error: (Error & { code?: unknown }) | undefined): [ErrorCode, boolean] {
  if (error === undefined) return [ErrorCodes.INTERNAL, false];
  if (error.name === 'ReplyError') {
    const prefix = error.message.split(' ', 1)[0] ?? '';
    if (prefix === 'NOAUTH' || prefix === 'WRONGPASS') return [ErrorCodes.UNAUTHENTICATED, false];
    if (prefix === 'NOPERM') return [ErrorCodes.FORBIDDEN, false];
    if (TRANSIENT_REPLIES.includes(prefix)) return [ErrorCodes.UNAVAILABLE, true];
    return [ErrorCodes.INTERNAL, false];
  }
  if (error.name === 'MaxRetriesPerRequestError') return [ErrorCodes.UNAVAILABLE, true];
  if (isNetworkErrorCode(error.code)) return [ErrorCodes.UNAVAILABLE, true];
  if (/command timed out/i.test(error.message)) return [ErrorCodes.TIMEOUT, true];
  // ioredis's own wording when the connection is gone or never came up.
  if (
    /connection is closed|stream isn't writeable|connect etimedout|reached the max retries/i.test(
      error.message,
    )
  ) {
    return [ErrorCodes.UNAVAILABLE, true];
  }
  return [ErrorCodes.INTERNAL, false];
}
