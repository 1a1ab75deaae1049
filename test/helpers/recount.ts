/**
 * An independent recount of a generated stream, written plainly (full sorts, string keys, no
 * shared production code beyond the event type) so exactness tests compare the system with
 * something that cannot share its bugs.
 */
import type { ClickEvent } from '../../shared/click-event/types.ts';

const MINUTE = 60_000;

export interface RecountInput {
  /** Partition the record was consumed from (order within a partition = order in `records`). */
  partition: number;
  /** `undefined` for malformed records (they never count). */
  event?: ClickEvent;
}

export interface Recount {
  /** `${adId}|${slice}|${minute}` → clicks. */
  cells: Map<string, number>;
  /** Click ids of the distinct clicks left out as late (speed rule only). */
  late: Set<string>;
  /** Distinct clicks counted. */
  total: number;
  count(adId: string, slice: string, fromMs: number, toMs: number): number;
  series(adId: string, slice: string, fromMs: number, toMs: number): Array<{ minute: number; count: number }>;
  /** Top `n` ads over `[endMinute − windowMinutes, endMinute)`, most clicks first, ties by ad id. */
  top(
    windowMinutes: number,
    slice: string,
    endMinute: number,
    n: number,
  ): Array<{ adId: string; count: number }>;
  /** Every minute that has at least one click. */
  minutes(): number[];
}

/**
 * Recount of what the speed layer must show: distinct click ids (first occurrence wins), minus
 * clicks that arrive after their minute closed. Per partition, the watermark is the largest event
 * time seen before the click minus `allowedLatenessMs`; a minute closes once the watermark reaches
 * its end. Assumes no partition went idle long enough for processing time to move its watermark.
 */
export function recountSpeed(records: readonly RecountInput[], allowedLatenessMs: number): Recount {
  const maxSeen = new Map<number, number>();
  const seen = new Set<string>();
  const counted: ClickEvent[] = [];
  const late = new Set<string>();
  for (const { partition, event } of records) {
    if (event === undefined) continue;
    const max = maxSeen.get(partition);
    if (!seen.has(event.clickId)) {
      seen.add(event.clickId);
      const windowEnd = Math.floor(event.timestampMs / MINUTE) * MINUTE + MINUTE;
      if (max !== undefined && max - allowedLatenessMs >= windowEnd) late.add(event.clickId);
      else counted.push(event);
    }
    if (max === undefined || event.timestampMs > max) maxSeen.set(partition, event.timestampMs);
  }
  return build(counted, late);
}

/** Recount of what the batch layer must show: every distinct valid click, late ones included. */
export function recountAll(records: readonly RecountInput[]): Recount {
  const seen = new Set<string>();
  const counted: ClickEvent[] = [];
  for (const { event } of records) {
    if (event === undefined || seen.has(event.clickId)) continue;
    seen.add(event.clickId);
    counted.push(event);
  }
  return build(counted, new Set());
}

function build(events: ClickEvent[], late: Set<string>): Recount {
  const cells = new Map<string, number>();
  const add = (key: string) => cells.set(key, (cells.get(key) ?? 0) + 1);
  for (const e of events) {
    const minute = Math.floor(e.timestampMs / MINUTE) * MINUTE;
    add(`${e.adId}|all|${minute}`);
    add(`${e.adId}|country=${e.country}|${minute}`);
  }
  const parsed = [...cells].map(([key, count]) => {
    const [adId, slice, minute] = key.split('|') as [string, string, string];
    return { adId, slice, minute: Number(minute), count };
  });
  return {
    cells,
    late,
    total: events.length,
    count: (adId, slice, fromMs, toMs) =>
      parsed
        .filter((c) => c.adId === adId && c.slice === slice && c.minute >= fromMs && c.minute < toMs)
        .reduce((sum, c) => sum + c.count, 0),
    series: (adId, slice, fromMs, toMs) =>
      parsed
        .filter((c) => c.adId === adId && c.slice === slice && c.minute >= fromMs && c.minute < toMs)
        .map((c) => ({ minute: c.minute, count: c.count }))
        .sort((a, b) => a.minute - b.minute),
    top: (windowMinutes, slice, endMinute, n) => {
      const from = endMinute - windowMinutes * MINUTE;
      const sums = new Map<string, number>();
      for (const c of parsed) {
        if (c.slice === slice && c.minute >= from && c.minute < endMinute)
          sums.set(c.adId, (sums.get(c.adId) ?? 0) + c.count);
      }
      return [...sums]
        .map(([adId, count]) => ({ adId, count }))
        .sort((a, b) => b.count - a.count || (a.adId < b.adId ? -1 : a.adId > b.adId ? 1 : 0))
        .slice(0, n);
    },
    minutes: () => [...new Set(parsed.map((c) => c.minute))].sort((a, b) => a - b),
  };
}
