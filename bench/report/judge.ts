import type { BenchPart, Figure } from './types.ts';

/** SPEC C targets. */
export const TARGETS = {
  clicksPerSecond: 50_000,
  speedVsBare: 0.8,
  freshnessP99Ms: 2_000,
  recomputeVsPeer: 1.25,
  apiP99Ms: 10,
  rssMb: 1_024,
} as const;

export const fmt = (n: number): string =>
  Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : String(Number(n.toFixed(2)));

/**
 * A figure against its target: `met`, or `gap` with how far off in words; `not measured` when
 * the value is missing (a failed or skipped part).
 */
export function judge(
  part: BenchPart,
  measure: string,
  value: number | null,
  unit: string,
  comparator: '>=' | '<=',
  targetValue: number,
  note?: string,
): Figure {
  const base = { part, measure, value, unit, comparator, targetValue, ...(note ? { note } : {}) };
  if (value === null) return { ...base, status: 'not measured' };
  const met = comparator === '>=' ? value >= targetValue : value <= targetValue;
  if (met) return { ...base, status: 'met' };
  const gap =
    comparator === '>='
      ? `${fmt((value / targetValue) * 100)}% of the target; ${fmt(targetValue / Math.max(value, 1e-9))}× short`
      : `${fmt(value / targetValue)}× over the target (${fmt(value - targetValue)} ${unit} too much)`;
  return { ...base, status: 'gap', gap };
}

/** A figure SPEC C asks to report without a target (e.g. the batch view's Cassandra write rate). */
export function reported(
  part: BenchPart,
  measure: string,
  value: number | null,
  unit: string,
  note?: string,
): Figure {
  return {
    part,
    measure,
    value,
    unit,
    comparator: null,
    targetValue: null,
    status: value === null ? 'not measured' : 'reported',
    ...(note ? { note } : {}),
  };
}
