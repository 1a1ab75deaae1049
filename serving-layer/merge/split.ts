import { minuteOf } from '../../shared/aggregation/time.ts';
import type { AnswerSource, RangePart } from './types.ts';

/**
 * The merge boundary for a batch watermark: the first minute NOT fully covered by the batch view.
 * A watermark inside a minute (never expected, but cheap to guard) leaves that minute to the speed
 * view, which has it whole.
 */
export function boundaryOf(watermark: number | undefined): number | undefined {
  return watermark === undefined ? undefined : minuteOf(watermark);
}

/**
 * Cuts `[from, to)` at the boundary: minutes before it from the batch view, minutes from it on
 * from the speed view. Empty parts are left out, so a range on one side yields one part.
 */
export function splitRange(from: number, to: number, boundary: number | undefined): RangePart[] {
  if (from >= to) return [];
  if (boundary === undefined || boundary <= from) return [{ view: 'speed', from, to }];
  if (boundary >= to) return [{ view: 'batch', from, to }];
  return [
    { view: 'batch', from, to: boundary },
    { view: 'speed', from: boundary, to },
  ];
}

/** The `source` field of an answer built from `parts`. */
export function sourceOf(parts: readonly RangePart[], boundary: number | undefined): AnswerSource {
  const batch = parts.find((p) => p.view === 'batch');
  const speed = parts.find((p) => p.view === 'speed');
  return {
    batch_until: batch === undefined ? null : batch.to,
    speed_from: speed === undefined ? null : speed.from,
    batch_watermark: boundary ?? null,
  };
}
