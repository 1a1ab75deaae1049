/** Nearest-rank percentile (p in 0–100) of unsorted values; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** Least-squares slope of y over x (0 with fewer than two points). */
export function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Rate of a growing counter between the first sample at or after `fromT` and the last sample at
 * or before `toT` (units per second of `t`).
 */
export function rateBetween(
  samples: ReadonlyArray<{ t: number; value: number }>,
  fromT: number,
  toT: number,
): number {
  const inside = samples.filter((s) => s.t >= fromT && s.t <= toT);
  if (inside.length < 2) return 0;
  const a = inside[0]!;
  const b = inside[inside.length - 1]!;
  return b.t === a.t ? 0 : (b.value - a.value) / (b.t - a.t);
}

/**
 * Longest time (in units of `t`) a counter stood still while it was behind its target: e.g. the
 * speed layer's snapshot offsets not advancing while records waited on the topic.
 */
export function longestStall(samples: ReadonlyArray<{ t: number; value: number; target: number }>): number {
  let longest = 0;
  let since: number | undefined;
  let last: number | undefined;
  for (const s of samples) {
    if (s.value !== last || s.value >= s.target) since = s.t;
    last = s.value;
    if (since !== undefined) longest = Math.max(longest, s.t - since);
  }
  return longest;
}
