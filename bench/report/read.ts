/**
 * Tolerant readers of layer reports: the layer benchmarks keep growing, so a figure is looked up
 * by the first of several paths that holds a finite number, and a missing one reads as `null`.
 */
export type Json = Record<string, unknown>;

/** The value at a dotted path (`recompute.clicksPerSecond`), or undefined. */
export function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}

/** The first finite number among `paths`, or null. */
export function num(obj: unknown, ...paths: string[]): number | null {
  for (const path of paths) {
    const v = at(obj, path);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/** The first string among `paths`, or undefined. */
export function str(obj: unknown, ...paths: string[]): string | undefined {
  for (const path of paths) {
    const v = at(obj, path);
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/** The array at `path`, or an empty one. */
export function list(obj: unknown, path: string): Json[] {
  const v = at(obj, path);
  return Array.isArray(v) ? v.filter((x): x is Json => x !== null && typeof x === 'object') : [];
}
