import { AdclickError, ErrorCodes } from '../errors/errors.ts';

export interface WaitForOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 200 ms). */
  intervalMs?: number;
  /** Named in the timeout error, e.g. "Kafka metadata on 127.0.0.1:19092". */
  description?: string;
  signal?: AbortSignal;
}

/**
 * Polls `condition` until it returns a truthy value (which is returned) or the timeout passes.
 * A throwing condition counts as "not yet"; the last error is attached to the timeout error so the
 * reason a service never became healthy is not lost.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (options.signal?.aborted)
      throw new AdclickError(ErrorCodes.TIMEOUT, `aborted waiting for ${options.description ?? 'condition'}`);
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new AdclickError(
        ErrorCodes.TIMEOUT,
        `timed out after ${timeoutMs} ms waiting for ${options.description ?? 'condition'}${reason}`,
        { cause: lastError, retryable: true },
      );
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** A plain delay, for retry backoff (never to wait for a condition: use `waitFor`). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
