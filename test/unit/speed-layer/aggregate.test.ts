import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { AggregationDefinition } from '../../../shared/aggregation/definition.ts';
import { MINUTE_MS } from '../../../shared/aggregation/time.ts';
import { topN } from '../../../shared/aggregation/top-n.ts';
import { parseClick } from '../../../shared/click-event/click-event.ts';
import { generateAll } from '../../../shared/generator/generator.ts';
import type { GeneratedRecord } from '../../../shared/generator/types.ts';
import { FrozenCells } from '../../../speed-layer/aggregate/frozen-cells.ts';
import { PartitionState } from '../../../speed-layer/aggregate/partition-state.ts';
import { type FlushPlan, PartitionStates } from '../../../speed-layer/aggregate/partition-states.ts';
import {
  decodeSnapshot,
  encodeForSave,
  encodeSnapshot,
  storedMinuteRefs,
  withStoredMinutes,
} from '../../../speed-layer/aggregate/snapshot-codec.ts';
import type { AggregateOptions } from '../../../speed-layer/aggregate/state-types.ts';
import { FinalCellsReader } from '../../../speed-layer/flush/final-cells-reader.ts';
import { recountSpeed } from '../../helpers/recount.ts';

const definition: AggregationDefinition = { dimensions: ['country'], windowsMinutes: [1, 5, 15], topN: 10 };
const LATENESS = 15_000;
const options: AggregateOptions = {
  definition,
  allowedLatenessMs: LATENESS,
  idleTimeoutMs: 3_600_000,
  retainMs: 20 * MINUTE_MS,
};
const START = Date.UTC(2026, 0, 1, 12, 0, 0);
const T0 = 1_000_000;
/** One click five seconds into the first minute (the idle and snapshot cases). */
const ONE_CLICK = {
  clickId: 'c1',
  adId: 'a',
  timestampMs: START + 5_000,
  userId: 'u',
  ip: '1.1.1.1',
  country: 'US',
};

/** An in-memory speed view: what the flush plans wrote, by absolute upsert. */
class FakeView {
  readonly cells = new Map<string, number>();
  /** `partition|minute` of every closure marker written. */
  readonly closed = new Set<string>();
  /** Cells written after their minute's closure marker (must stay empty). */
  readonly afterClosure: string[] = [];
  readonly tops = new Map<string, Array<{ adId: string; count: number }>>();
  /** The per-ad rows: every cell of a closed minute, written once the minute closed. */
  readonly perAd = new Map<string, number>();
  apply(plan: FlushPlan): void {
    const final = new FinalCellsReader();
    final.add(plan.finalCells);
    for (const c of [...plan.closedCells, ...final.take(final.remaining)])
      this.perAd.set(`${c.adId}|${c.slice}|${c.minute}`, c.count);
    for (const c of plan.cells) {
      const key = `${c.adId}|${c.slice}|${c.minute}`;
      if (this.cells.get(key) !== c.count && [...this.closed].some((k) => k.endsWith(`|${c.minute}`)))
        this.afterClosure.push(key);
      this.cells.set(key, c.count);
    }
    for (const m of plan.closed) this.closed.add(`${m.partition}|${m.minute}`);
    for (const t of plan.topLists) this.tops.set(`${t.windowMinutes}|${t.slice}|${t.endMinute}`, t.ads);
    // The global step of the reduce node, as `CassandraGlobalTopLists` does it: each partition's
    // latest list of an end, merged into the top N of their union.
    for (const t of plan.partitionTopLists) {
      const key = `${t.windowMinutes}|${t.slice}|${t.endMinute}`;
      let parts = this.partitionTops.get(key);
      if (parts === undefined) {
        parts = new Map();
        this.partitionTops.set(key, parts);
      }
      parts.set(t.partition, t.ads);
      this.tops.set(key, topN([...parts.values()].flat(), definition.topN));
    }
  }
  readonly partitionTops = new Map<string, Map<number, Array<{ adId: string; count: number }>>>();
}

function stream(clicks: number, seed: number, ads = 60): GeneratedRecord[] {
  return generateAll({
    seed,
    clicks,
    startMs: START,
    ads,
    partitions: 4,
    clicksPerSecond: 20,
    lateByMs: 150_000,
    lateFraction: 0.02,
    countries: ['US', 'KR', 'DE'],
  });
}

/**
 * Feeds records in order, flushing every `flushEvery` records, optionally through snapshots:
 * `whole` restores each partition from its full snapshot, `stored` as the speed layer saves them
 * (closed minutes stored once on their own, the state referring to them).
 */
async function run(
  records: GeneratedRecord[],
  flushEvery: number,
  via: 'none' | 'whole' | 'stored',
  listsEvery = 1,
  perPartition = false,
  sumsBudget?: number,
) {
  let flushes = 0;
  // Per partition as the speed layer runs with rekeying: each ad's clicks in one partition.
  // A budget of a few cells per ranking: the running sums lag behind the windows most of the
  // time, and every ranking must correct for it.
  const aggregate: AggregateOptions = perPartition ? { ...options, keyedByAd: true, sumsBudget } : options;
  let states = new PartitionStates(aggregate);
  const view = new FakeView();
  let late = 0;
  let duplicates = 0;
  /** Stored minutes by `partition|minute|epoch`, and each partition's minute → epoch. */
  const minuteRows = new Map<string, Buffer>();
  const stored = new Map<number, Map<number, number>>();
  let epoch = 1;
  for (const [i, r] of records.entries()) {
    const parsed = parseClick(r.value);
    if (parsed.ok) {
      const outcome = states.get(r.partition).add(parsed.event, T0);
      if (outcome === 'late') late++;
      if (outcome === 'duplicate') duplicates++;
    }
    states.get(r.partition).nextOffset = String(i + 1);
    if ((i + 1) % flushEvery !== 0) continue;
    // Top lists only every `listsEvery` flushes, and snapshots only at those (as the speed layer).
    const lists = ++flushes % listsEvery === 0;
    view.apply(states.plan(T0, { deferTopLists: !lists, perPartition }));
    if (via === 'none' || !lists) continue;
    const restored = new PartitionStates(aggregate);
    for (const p of states.partitions()) {
      if (via === 'whole') {
        restored.restore(decodeSnapshot(encodeSnapshot(states.get(p).snapshot())), T0);
        continue;
      }
      // Save (a new owner epoch every time), then restore from what was saved.
      const split = await encodeForSave(states.get(p).snapshot(stored.get(p)), epoch);
      for (const m of split.minutes) minuteRows.set(`${p}|${m.minute}|${epoch}`, m.counts);
      const decoded = decodeSnapshot(split.state);
      const refs = storedMinuteRefs(decoded);
      const blobs = new Map(
        refs.map((ref) => [ref.minute, minuteRows.get(`${p}|${ref.minute}|${ref.epoch}`)!]),
      );
      restored.restore(withStoredMinutes(decoded, blobs), T0);
      stored.set(p, new Map(refs.map((ref) => [ref.minute, ref.epoch])));
    }
    epoch++;
    states = restored;
  }
  view.apply(states.plan(T0, { perPartition }));
  return { view, late, duplicates, storedMinutes: minuteRows.size, rankings: states.rankings };
}

/**
 * @param frontierOnly only window ends up to the end of the newest minute: the per-partition
 * ranking does not rank windows ending in minutes nobody has seen yet
 */
function expectMatchesRecount(
  records: GeneratedRecord[],
  view: FakeView,
  late: number,
  frontierOnly = false,
): void {
  const recount = recountSpeed(
    records.map((r) => ({ partition: r.partition, event: parseClick(r.value).ok ? r.event : undefined })),
    LATENESS,
  );
  expect(recount.late.size).toBeGreaterThan(0);
  const written = new Map([...view.cells].filter(([, n]) => n > 0));
  expect(written).toEqual(recount.cells);
  // Per-ad rows hold final values, and every cell of a minute all partitions closed.
  const closedByAll = (minute: number) => [0, 1, 2, 3].every((p) => view.closed.has(`${p}|${minute}`));
  const expectedPerAd = [...recount.cells].filter(([key]) => closedByAll(Number(key.split('|')[2])));
  expect(expectedPerAd.length).toBeGreaterThan(0);
  for (const [key, count] of view.perAd) expect(count, key).toBe(recount.cells.get(key));
  for (const [key, count] of expectedPerAd) expect(view.perAd.get(key), key).toBe(count);
  expect(late).toBe(recount.late.size);
  const minutes = recount.minutes();
  const slices = ['all', 'country=US', 'country=KR', 'country=DE'];
  for (const w of definition.windowsMinutes) {
    for (const slice of slices) {
      const last = minutes.at(-1)! + (frontierOnly ? 1 : w) * MINUTE_MS;
      for (let end = minutes[0]! + MINUTE_MS; end <= last; end += MINUTE_MS) {
        const expected = recount.top(w, slice, end, definition.topN);
        expect(view.tops.get(`${w}|${slice}|${end}`) ?? [], `top ${w} ${slice} ${end}`).toEqual(expected);
      }
    }
  }
}

describe('speed aggregate + reduce', () => {
  it('equals the independent recount (cells, late, top lists)', async () => {
    const records = stream(6000, 7);
    const { view, late, duplicates } = await run(records, 97, 'none');
    expect(duplicates).toBeGreaterThan(0);
    expectMatchesRecount(records, view, late);
    // Minutes well behind the last watermark were marked closed, and no cell changed after that.
    expect(view.closed.size).toBeGreaterThan(0);
    expect(view.afterClosure).toEqual([]);
  });

  it('gives the same result when state goes through a snapshot at every flush', async () => {
    const records = stream(4000, 11);
    const { view, late } = await run(records, 53, 'whole');
    expectMatchesRecount(records, view, late);
  });

  it('gives the same result through snapshots whose closed minutes are stored once, on their own', async () => {
    const records = stream(4000, 11);
    const { view, late, storedMinutes } = await run(records, 53, 'stored');
    expectMatchesRecount(records, view, late);
    // Each closed minute of a partition stored once, not again with every later snapshot.
    const closedMinutes = new Set(
      records.flatMap((r) =>
        r.event === undefined ? [] : [`${r.partition}|${Math.floor(r.event.timestampMs / MINUTE_MS)}`],
      ),
    );
    expect(storedMinutes).toBeGreaterThan(0);
    expect(storedMinutes).toBeLessThanOrEqual(closedMinutes.size);
  });

  it('ranks each partition incrementally, and their merge equals the recount', async () => {
    const records = stream(6000, 7);
    const whole = await run(records, 37, 'none', 1, true);
    expectMatchesRecount(records, whole.view, whole.late, true);
    const { view, late } = await run(records, 37, 'none', 1, true, 5);
    expect(view.partitionTops.size).toBeGreaterThan(0);
    expectMatchesRecount(records, view, late, true);
  });

  it('ranks exactly from deep lists when more ads compete than a list holds, seldom summing a whole window', async () => {
    // 150 ads a partition against lists 2 × 10 deep: outsiders sit below a floor above zero.
    const records = stream(12000, 31, 600);
    const { view, late, rankings } = await run(records, 37, 'none', 1, true);
    expectMatchesRecount(records, view, late, true);
    expect(rankings.fullScans).toBeGreaterThan(0);
    expect(rankings.fullScans / rankings.ends).toBeLessThan(0.25);
  });

  it('ranks partitions that lag minutes behind the others (windows ending past their own clicks)', async () => {
    // Each partition's records in order, but one partition after the other: every partition but
    // the first starts minutes behind the frontier the first one set.
    const records = stream(6000, 19).sort((a, b) => a.partition - b.partition);
    const { view, late } = await run(records, 41, 'none', 1, true, 11);
    expectMatchesRecount(records, view, late, true);
  });

  it('ranks each partition incrementally through deferred lists and restored snapshots', async () => {
    const records = stream(6000, 17);
    const { view, late } = await run(records, 23, 'stored', 4, true, 7);
    expectMatchesRecount(records, view, late, true);
  });

  it('ranks deferred top lists later without losing any, through snapshots', async () => {
    const records = stream(4000, 13);
    const { view, late } = await run(records, 29, 'stored', 3);
    expectMatchesRecount(records, view, late);
  });

  it('freezes a closed minute a few slices per plan, leaving the counts a closing burst holds as they were', () => {
    const state = new PartitionState(0, options, T0);
    const countries = ['US', 'KR', 'DE'];
    for (let i = 0; i < 30; i++)
      state.add({ ...ONE_CLICK, clickId: `c${i}`, adId: `ad-${i % 7}`, country: countries[i % 3]! }, T0);
    // The watermark two minutes past the first one: closed, and due to be frozen.
    state.add({ ...ONE_CLICK, clickId: 'late-enough', timestampMs: START + 2 * MINUTE_MS + LATENESS }, T0);
    const before = state.minute(START)!.counts;
    const values = new Map([...before].map(([slice, ads]) => [slice, new Map(ads)]));
    const frozenSlices = () =>
      [...state.minute(START)!.counts.values()].filter((a) => a instanceof FrozenCells);
    state.closeMinutes({ cells: 0 });
    expect(frozenSlices()).toHaveLength(0);
    let calls = 0;
    while (frozenSlices().length < before.size) {
      state.closeMinutes({ cells: 1 });
      expect(frozenSlices()).toHaveLength(++calls);
    }
    // One slice per call (the budget is one cell, and each call freezes at least a slice).
    expect(calls).toBe(4);
    expect(new Map([...state.minute(START)!.counts].map(([slice, ads]) => [slice, new Map(ads)]))).toEqual(
      values,
    );
    // The map a closing burst captured is another object, still of Maps with the same values.
    expect([...before.values()].every((ads) => ads instanceof Map)).toBe(true);
    expect(new Map([...before].map(([slice, ads]) => [slice, new Map(ads)]))).toEqual(values);
  });

  it('closes minutes of an idle partition once processing time moves on', () => {
    const state = new PartitionState(0, { ...options, idleTimeoutMs: 10_000 }, T0);
    const event = ONE_CLICK;
    expect(state.add(event, T0)).toBe('counted');
    state.closeMinutes();
    state.drainChanges();
    state.advanceIdle(T0 + 9_000);
    state.closeMinutes();
    expect(state.drainChanges().closed).toEqual([]);
    state.advanceIdle(T0 + 80_000);
    state.closeMinutes();
    expect(state.drainChanges().closed).toEqual([START]);
    expect(state.add({ ...event, clickId: 'c2' }, T0 + 80_000)).toBe('late');
    expect(state.add({ ...event, clickId: 'c2' }, T0 + 80_000)).toBe('duplicate');
  });

  it('never moves the watermark of a lagging partition by idleness, nor any while fetching is paused', () => {
    const event = ONE_CLICK;
    const state = new PartitionState(0, { ...options, idleTimeoutMs: 10_000 }, T0);
    state.add(event, T0);
    // Records wait behind the last one consumed: a minute of silence is the consumer's, not idleness.
    state.setLagging(true);
    state.advanceIdle(T0 + 80_000);
    state.closeMinutes();
    expect(state.drainChanges().closed).toEqual([]);
    expect(state.add({ ...event, clickId: 'c2' }, T0 + 80_000)).toBe('counted');
    // Caught up: idle after the timeout, counted from its last event.
    state.setLagging(false);
    state.advanceIdle(T0 + 85_000);
    expect(state.watermarkMs).toBe(START + 5_000 - LATENESS);
    state.advanceIdle(T0 + 160_000);
    state.closeMinutes();
    expect(state.drainChanges().closed).toEqual([START]);

    // While fetching is paused, a plan moves no watermark; after resume the idle clock restarts.
    const states = new PartitionStates({ ...options, idleTimeoutMs: 10_000 });
    states.get(1).add({ ...event, clickId: 'p1' }, T0);
    states.plan(T0 + 80_000, { idle: false });
    expect(states.get(1).watermarkMs).toBe(START + 5_000 - LATENESS);
    states.touchAll(T0 + 80_000);
    states.plan(T0 + 85_000);
    expect(states.get(1).watermarkMs).toBe(START + 5_000 - LATENESS);
    states.plan(T0 + 95_000);
    expect(states.get(1).watermarkMs).toBe(START + 5_000 - LATENESS + 15_000);
  });

  it('restores a snapshot of the first format, whose click ids are strings, with the same dedup', () => {
    const v1 = {
      format: 1,
      partition: 3,
      nextOffset: '42',
      maxEventMs: START + 5_000,
      watermarkMs: START + 5_000 - LATENESS,
      lateIds: [],
      minutes: [{ minute: START, closed: false, ids: ['c1', 'c2'], counts: { all: [['a', 2]] } }],
    };
    const state = PartitionState.restore(decodeSnapshot(gzipSync(JSON.stringify(v1))), options, T0);
    const event = { ...ONE_CLICK, timestampMs: START + 6_000 };
    expect(state.add(event, T0)).toBe('duplicate');
    expect(state.add({ ...event, clickId: 'c3' }, T0)).toBe('counted');
    expect(state.minute(START)?.counts.get('all')?.get('a')).toBe(3);
    // Written again in the current format, the ids survive as hashes.
    const again = PartitionState.restore(decodeSnapshot(encodeSnapshot(state.snapshot())), options, T0);
    expect(again.add({ ...event, clickId: 'c2' }, T0)).toBe('duplicate');
    expect(again.add({ ...event, clickId: 'c4' }, T0)).toBe('counted');
  });

  it('rejects a snapshot blob it did not write', () => {
    expect(() => decodeSnapshot(Buffer.from('nope'))).toThrow(/not readable/);
  });
});
