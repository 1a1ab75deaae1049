/** Shared bits of the end-to-end commands' command lines (`npm run bench`, `npm run bench:soak`). */

/** A progress printer to stderr, each line stamped `[tag mm:ss]` since `started`. */
export function stampedProgress(tag: string, started = Date.now()): (line: string) => void {
  return (line) => {
    const s = Math.floor((Date.now() - started) / 1000);
    const stamp = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    process.stderr.write(`[${tag} ${stamp}] ${line}\n`);
  };
}

/** `--name`'s value as a whole number ≥ 1, or `fallback` when it was not given. */
export function wholeNumber(name: string, value: string | undefined, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1, got "${value}"`);
  return n;
}

/** `--via`: how the generator's clicks reach Kafka. */
export function viaOption(value: string | undefined): 'kafka' | 'collector' {
  const via = value ?? 'kafka';
  if (via !== 'kafka' && via !== 'collector')
    throw new Error(`--via must be kafka or collector, got "${via}"`);
  return via;
}
