import { describe, expect, it } from 'vitest';
import type { AggregationDefinition } from '../../../../shared/aggregation/definition.ts';
import { MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import { topN } from '../../../../shared/aggregation/top-n.ts';
import type { ClickEvent } from '../../../../shared/click-event/types.ts';
import { PartitionStates } from '../../../../speed-layer/aggregate/partition-states.ts';
import type { AggregateOptions } from '../../../../speed-layer/aggregate/state-types.ts';
import { recountSpeed } from '../../../helpers/recount.ts';

const definition: AggregationDefinition = { dimensions: ['country'], windowsMinutes: [1, 5, 15], topN: 10 };
const START = Date.UTC(2026, 0, 1, 12, 0, 0);
const T0 = 1_000_000;

/** A small deterministic generator (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Clicks whose popularity moves on every minute: each minute a different group of ads takes
 * most clicks, then goes quiet. As its minutes leave a window, the ads that led a list fall
 * below ads the list had dropped, the case the floor of a deep list is for.
 */
function rotatingClicks(
  minutes: number,
  seed: number,
  /** Each minute's ads are numbered this much higher than the minute before's: ads come and go. */
  drift = 0,
): Array<{ partition: number; event: ClickEvent }> {
  const next = random(seed);
  const out: Array<{ partition: number; event: ClickEvent }> = [];
  let serial = 0;
  for (let m = 0; m < minutes; m++) {
    const clicks: ClickEvent[] = [];
    const click = (ad: number) =>
      clicks.push({
        clickId: `c${serial++}`,
        adId: `ad-${ad + m * drift}`,
        timestampMs: START + m * MINUTE_MS + Math.floor(next() * MINUTE_MS),
        userId: 'u',
        ip: '10.0.0.1',
        country: next() < 0.6 ? 'US' : 'KR',
      });
    for (let h = 0; h < 25; h++) {
      const ad = (m * 17 + h * 3) % 400;
      const times = 2 + Math.floor(next() * 15);
      for (let i = 0; i < times; i++) click(ad);
    }
    for (let i = 0; i < 150; i++) click(Math.floor(next() * 400));
    clicks.sort((a, b) => a.timestampMs - b.timestampMs);
    for (const event of clicks) out.push({ partition: 0, event });
  }
  return out;
}

/**
 * Feeds the records to one partition's state, ranking every 53 records, and checks every list
 * as it is published against the clicks added so far, then every list against a recount.
 */
function checkEveryList(
  records: Array<{ partition: number; event: ClickEvent }>,
  options: Partial<AggregateOptions> = {},
): PartitionStates {
  const states = new PartitionStates({
    definition,
    allowedLatenessMs: 15_000,
    idleTimeoutMs: 3_600_000,
    retainMs: 30 * MINUTE_MS,
    keyedByAd: true,
    ...options,
  });
  const lists = new Map<string, Array<{ adId: string; count: number }>>();
  // Every list as it is published, against the clicks added so far (none is late here).
  const sofar = new Map<string, Map<string, number>>();
  const expectedNow = (w: number, slice: string, end: number) => {
    const sums = new Map<string, number>();
    for (let m = end - w * MINUTE_MS; m < end; m += MINUTE_MS)
      for (const [ad, n] of sofar.get(`${slice}|${m}`) ?? []) sums.set(ad, (sums.get(ad) ?? 0) + n);
    return topN(
      [...sums].map(([adId, count]) => ({ adId, count })),
      definition.topN,
    );
  };
  let published = 0;
  const rank = () => {
    const plan = states.plan(T0, { perPartition: true });
    for (const t of plan.partitionTopLists) {
      const ads = topN(t.ads, definition.topN);
      expect(ads, `top ${t.windowMinutes} ${t.slice} ${t.endMinute} when published`).toEqual(
        expectedNow(t.windowMinutes, t.slice, t.endMinute),
      );
      lists.set(`${t.windowMinutes}|${t.slice}|${t.endMinute}`, ads);
      published++;
    }
  };
  for (const [i, r] of records.entries()) {
    states.get(r.partition).add(r.event, T0);
    const minute = Math.floor(r.event.timestampMs / MINUTE_MS) * MINUTE_MS;
    for (const slice of ['all', `country=${r.event.country}`]) {
      const cells = sofar.get(`${slice}|${minute}`) ?? new Map<string, number>();
      sofar.set(`${slice}|${minute}`, cells);
      cells.set(r.event.adId, (cells.get(r.event.adId) ?? 0) + 1);
    }
    if (i % 53 === 52) rank();
  }
  rank();
  expect(published).toBeGreaterThan(1000);

  const recount = recountSpeed(records, 15_000);
  const minutes = recount.minutes();
  let compared = 0;
  for (const w of definition.windowsMinutes) {
    for (const slice of ['all', 'country=US', 'country=KR']) {
      for (let end = minutes[0]! + MINUTE_MS; end <= minutes.at(-1)! + MINUTE_MS; end += MINUTE_MS) {
        const expected = recount.top(w, slice, end, definition.topN);
        expect(lists.get(`${w}|${slice}|${end}`) ?? [], `top ${w} ${slice} ${end}`).toEqual(expected);
        compared++;
      }
    }
  }
  expect(compared).toBeGreaterThan(150);
  return states;
}

describe('WindowRanker (through PartitionStates, one partition)', () => {
  for (const seed of [1, 2, 3]) {
    it(`keeps every list exact while popularity moves on each minute (seed ${seed})`, () => {
      const states = checkEveryList(rotatingClicks(24, seed));
      // Deep lists carry most rankings; a full scan is the exception.
      const { ends, fullScans } = states.rankings;
      expect(fullScans).toBeGreaterThan(0);
      expect(fullScans / ends).toBeLessThan(0.5);
    });
  }

  it('prunes the ids of ads gone from the retained minutes, every list still exact', () => {
    // Each minute's ads are numbered 40 higher: an ad is clicked for ten minutes, then never again.
    const records = rotatingClicks(40, 7, 40);
    const options = { retainMs: 16 * MINUTE_MS, adIdsCheckFrom: 64 };
    const pruned = checkEveryList(records, options).get(0);
    const kept = checkEveryList(records, { ...options, adIdsCheckFrom: Number.POSITIVE_INFINITY }).get(0);
    expect(pruned.adIdsPrunes).toBeGreaterThan(0);
    expect(kept.adIdsPrunes).toBe(0);
    const retained = new Set<string>();
    for (const minute of pruned.minutes()) {
      for (const [slice, cells] of pruned.minute(minute)!.counts) {
        for (const adId of cells.keys()) retained.add(adId);
        expect(new Map(cells), `${slice} ${minute}`).toEqual(new Map(kept.minute(minute)!.counts.get(slice)));
      }
    }
    expect(pruned.minutes()).toEqual(kept.minutes());
    // Unpruned, the table holds every ad ever seen; pruned, little more than the retained ones.
    expect(kept.adIds.size).toBeGreaterThan(1.5 * retained.size);
    expect(pruned.adIds.size).toBeLessThanOrEqual(1.5 * retained.size);
  });
});
