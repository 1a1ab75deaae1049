/**
 * Node socket error codes that mean "the other side cannot be reached right now" — the same for
 * every vendor client, so each adapter's error translation maps them to a retryable UNAVAILABLE.
 */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
]);

/** True when `code` (an error's `code` property) is a transient network failure. */
export function isNetworkErrorCode(code: unknown): boolean {
  return typeof code === 'string' && NETWORK_CODES.has(code);
}
