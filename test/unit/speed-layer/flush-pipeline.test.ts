import { describe, expect, it } from 'vitest';
import type { MinuteCount } from '../../../shared/aggregate-store/types.ts';
import { waitFor } from '../../../shared/async/wait-for.ts';
import type { FlushPlan, MinuteCells } from '../../../speed-layer/aggregate/partition-states.ts';
import {
  FlushPipeline,
  type FlushStages,
  type MergedCells,
  mergeCells,
} from '../../../speed-layer/flush/flush-pipeline.ts';

/** A write the test releases (or fails) by hand. */
interface Gate {
  release(): void;
  fail(error: Error): void;
}

function plan(round: number, cells: Array<[string, number]>, withList = false): FlushPlan {
  return {
    cells: cells.map(([adId, count]) => ({ adId, slice: 'all', minute: 0, count })),
    closed: [{ partition: 0, minute: round, watermarkMs: round }],
    topLists: withList
      ? [{ windowMinutes: 1, slice: 'all', endMinute: 60_000, ads: [{ adId: 'a', count: round }] }]
      : [],
    partitionTopLists: [],
    closedCells: [],
    finalCells: [],
  };
}

/** Stages that record every write in order and hold each one until the test releases it. */
function recordingStages(): FlushStages & {
  log: string[];
  cellGates: Gate[];
  listGates: Gate[];
  snapshots: Map<number, number>;
  saved: number[];
} {
  const log: string[] = [];
  const cellGates: Gate[] = [];
  const listGates: Gate[] = [];
  const snapshots = new Map<number, number>();
  const saved: number[] = [];
  const gate = (gates: Gate[]) =>
    new Promise<void>((resolve, reject) => gates.push({ release: resolve, fail: reject }));
  return {
    log,
    cellGates,
    listGates,
    snapshots,
    saved,
    takeDue: () => undefined,
    writeCells: async (cells: MergedCells) => {
      await gate(cellGates);
      const all = [...cells.changed, ...cells.closed.map((c) => ({ ...c, adId: `${c.adId}!` }))];
      log.push(`cells ${all.map((c) => `${c.adId}=${c.count}`).join(',')}`);
    },
    writeLists: async (p: FlushPlan) => {
      await gate(listGates);
      log.push(`lists ${p.topLists.length} closed ${p.closed.map((c) => c.minute).join(',')}`);
    },
    snapshotsDue: (through) => [...snapshots.values()].some((seq) => seq <= through),
    saveSnapshots: async (through) => {
      for (const [p, seq] of snapshots) {
        if (seq > through) continue;
        log.push(`snapshot p${p}@${seq}`);
        saved.push(seq);
        snapshots.delete(p);
      }
    },
    failed: (stage) => log.push(`failed ${stage}`),
  };
}

/** Stages that hold each cell write until released and log it as its size and first..last cell. */
function chunkStages(): { writes: string[]; cellGates: Gate[]; stages: FlushStages } {
  const writes: string[] = [];
  const cellGates: Gate[] = [];
  const stages: FlushStages = {
    takeDue: () => undefined,
    writeCells: async (cells) => {
      await new Promise<void>((resolve, reject) => cellGates.push({ release: resolve, fail: reject }));
      const all = [...cells.changed, ...cells.closed];
      const [first, last] = [all[0], all.at(-1)];
      writes.push(
        `changed ${cells.changed.length} closed ${cells.closed.length} ${first?.adId}=${first?.count}..${last?.adId}=${last?.count}`,
      );
    },
    writeLists: async (p) => {
      writes.push(`lists closed ${p.closed.map((c) => c.minute).join(',')}`);
    },
    snapshotsDue: () => false,
    saveSnapshots: async () => undefined,
    failed: (stage) => writes.push(`failed ${stage}`),
  };
  return { writes, cellGates, stages };
}

/** Every cell of a closed minute as `MinuteCells`: `cells` ads of one slice, counts from 1. */
function minuteCells(minute: number, cells: number, prefix: string): MinuteCells {
  const ads = new Map(Array.from({ length: cells }, (_, i) => [`${prefix}${i}`, i + 1] as const));
  return { minute, counts: new Map([['all', ads]]), size: cells };
}

describe('flush pipeline', () => {
  it('writes the next round’s cells while the previous lists are pending, and saves a snapshot only after its lists', async () => {
    const s = recordingStages();
    const pipeline = new FlushPipeline(s);
    const r1 = pipeline.push(plan(1, [['a', 1]], true));
    s.snapshots.set(0, r1);
    pipeline.kick();
    await waitFor(() => s.cellGates.length === 1, { timeoutMs: 1000, description: 'cells of round 1' });
    s.cellGates[0]!.release();
    await waitFor(() => s.listGates.length === 1, { timeoutMs: 1000, description: 'lists of round 1' });
    // Round 2 arrives while round 1's lists are still being written: its cells go ahead.
    pipeline.push(plan(2, [['a', 2]]));
    pipeline.kick();
    await waitFor(() => s.cellGates.length === 2, { timeoutMs: 1000, description: 'cells of round 2' });
    s.cellGates[1]!.release();
    await waitFor(() => s.log.length === 2, { timeoutMs: 1000, description: 'round 2 cells written' });
    expect(s.saved).toEqual([]);
    expect(pipeline.writtenThrough()).toBe(0);
    s.listGates[0]!.release();
    await waitFor(() => s.listGates.length === 2, { timeoutMs: 1000, description: 'lists of round 2' });
    expect(s.saved).toEqual([1]);
    s.listGates[1]!.release();
    await pipeline.drain(2);
    expect(s.log).toEqual([
      'cells a=1',
      'cells a=2',
      'lists 1 closed 1',
      'snapshot p0@1',
      'lists 0 closed 2',
    ]);
  });

  it('keeps a failed cell write at the head, merges later rounds into its retry, and saves nothing past it', async () => {
    const s = recordingStages();
    const pipeline = new FlushPipeline(s);
    pipeline.push(
      plan(1, [
        ['a', 1],
        ['b', 1],
      ]),
    );
    pipeline.kick();
    await waitFor(() => s.cellGates.length === 1, { timeoutMs: 1000, description: 'first cell write' });
    s.cellGates[0]!.fail(new Error('store down'));
    await waitFor(() => s.log.includes('failed cells'), { timeoutMs: 1000, description: 'the failure' });
    const r2 = pipeline.push(plan(2, [['a', 3]], true));
    s.snapshots.set(0, r2);
    const drained = pipeline.drain(r2);
    await waitFor(() => s.cellGates.length === 2, { timeoutMs: 1000, description: 'the retry' });
    expect(s.saved).toEqual([]);
    s.cellGates[1]!.release();
    await waitFor(() => s.listGates.length === 1, { timeoutMs: 1000, description: 'merged lists' });
    s.listGates[0]!.release();
    await drained;
    expect(s.log).toEqual(['failed cells', 'cells a=3,b=1', 'lists 1 closed 1,2', 'snapshot p0@2']);
  });

  it('saves a snapshot taken at an empty round once the rounds before it are written', async () => {
    const s = recordingStages();
    const pipeline = new FlushPipeline(s);
    pipeline.push(plan(1, [['a', 1]]));
    const empty = pipeline.push({
      cells: [],
      closedCells: [],
      finalCells: [],
      closed: [],
      topLists: [],
      partitionTopLists: [],
    });
    s.snapshots.set(3, empty);
    const drained = pipeline.drain(empty);
    await waitFor(() => s.cellGates.length === 1, { timeoutMs: 1000, description: 'cells' });
    s.cellGates[0]!.release();
    await waitFor(() => s.listGates.length === 1, { timeoutMs: 1000, description: 'lists' });
    expect(s.saved).toEqual([]);
    s.listGates[0]!.release();
    await drained;
    expect(s.saved).toEqual([empty]);
  });

  it("writes newer changed cells while a closing burst is written, and a round's lists only after its burst", async () => {
    const { writes, cellGates, stages } = chunkStages();
    const pipeline = new FlushPipeline(stages);
    const burst: FlushPlan = {
      ...plan(1, [['a', 1]]),
      closedCells: Array.from({ length: 12_000 }, (_, i) => ({
        adId: `c${i}`,
        slice: 'all',
        minute: 0,
        count: 1,
      })),
    };
    pipeline.push(burst);
    pipeline.kick();
    await waitFor(() => cellGates.length === 1, { timeoutMs: 1000, description: 'changed cells of round 1' });
    cellGates[0]!.release();
    await waitFor(() => cellGates.length === 2, { timeoutMs: 1000, description: 'first chunk' });
    // The burst being written is not backlog for backpressure; rounds queued behind it are.
    const duringBurst = pipeline.pendingRows();
    expect(duringBurst).toBeLessThan(100);
    // Round 2 comes during the burst: its cell is written while the first chunk still is.
    pipeline.push(plan(2, [['fresh', 1]]));
    expect(pipeline.pendingRows()).toBeGreaterThan(duringBurst);
    pipeline.kick();
    await waitFor(() => cellGates.length === 3, { timeoutMs: 1000, description: 'changed cells of round 2' });
    cellGates[2]!.release();
    // Round 3: a newer value of a closed cell (the ad's other partition closing the minute).
    const c0 = { adId: 'c0', slice: 'all', minute: 0, count: 5 };
    pipeline.push({ ...plan(3, []), cells: [c0], closedCells: [c0] });
    pipeline.kick();
    await waitFor(() => cellGates.length === 4, { timeoutMs: 1000, description: 'changed cells of round 3' });
    cellGates[3]!.release();
    await waitFor(() => writes.length === 3, {
      timeoutMs: 1000,
      description: 'rounds 2 and 3 changed cells',
    });
    // Then the burst's chunks, and round 3's closing after them.
    cellGates[1]!.release();
    for (let i = 4; pipeline.writtenThrough() < 3; i++) {
      await waitFor(() => cellGates.length > i || pipeline.writtenThrough() === 3, {
        timeoutMs: 1000,
        description: `write ${i}`,
      });
      cellGates[i]?.release();
    }
    await pipeline.drain(3);
    expect(writes).toEqual([
      'changed 1 closed 0 a=1..a=1',
      // Rounds 2 and 3 went out while the first chunk was still being written.
      'changed 1 closed 0 fresh=1..fresh=1',
      'changed 1 closed 0 c0=5..c0=5',
      'changed 0 closed 5000 c0=1..c4999=1',
      'changed 0 closed 5000 c5000=1..c9999=1',
      'changed 0 closed 2000 c10000=1..c11999=1',
      // Round 1 is written; round 3's closing follows, in round order, with round 2 ahead of it.
      'lists closed 1',
      'changed 0 closed 1 c0=5..c0=5',
      'lists closed 2,3',
    ]);
    expect(pipeline.writtenThrough()).toBe(3);
  });

  it('reads final cells of closed minutes a chunk at a time, in round order', async () => {
    const { writes, cellGates, stages } = chunkStages();
    const pipeline = new FlushPipeline(stages);
    pipeline.push({ ...plan(1, []), finalCells: [minuteCells(0, 7_000, 'a')] });
    pipeline.push({ ...plan(2, [['fresh', 1]]), finalCells: [minuteCells(60_000, 4_000, 'b')] });
    expect(pipeline.pendingRows()).toBeGreaterThanOrEqual(11_000);
    const drained = pipeline.drain(2);
    for (let i = 0; !writes.some((w) => w.startsWith('lists')); i++) {
      await waitFor(() => cellGates.length > i, { timeoutMs: 1000, description: `write ${i}` });
      cellGates[i]!.release();
      await waitFor(() => writes.length > i, { timeoutMs: 1000, description: `write ${i} done` });
    }
    await drained;
    expect(writes).toEqual([
      'changed 1 closed 0 fresh=1..fresh=1',
      // Both minutes in chunks, across the boundary between them.
      'changed 0 closed 5000 a0=1..a4999=5000',
      'changed 0 closed 5000 a5000=5001..b2999=3000',
      'changed 0 closed 1000 b3000=3001..b3999=4000',
      'lists closed 1,2',
    ]);
  });

  it('merges rounds to the newest value of each cell: changed when any round changed it, closed when any closed its minute', () => {
    const cell = (adId: string, count: number) => ({ adId, slice: 'all', minute: 0, count });
    const round = (changed: MinuteCount[], closed: MinuteCount[]): FlushPlan => ({
      cells: changed,
      closedCells: closed,
      finalCells: [],
      closed: [],
      topLists: [],
      partitionTopLists: [],
    });
    const merged = mergeCells([
      round([cell('a', 1), cell('b', 1)], []),
      round([cell('a', 2)], [cell('a', 2), cell('c', 4)]),
      // `a` counted again by a partition that has not closed the minute: newest value, still closed.
      round([cell('a', 3), cell('b', 2)], []),
    ]);
    expect(merged.changed).toEqual([cell('a', 3), cell('b', 2)]);
    expect(merged.closed.sort((x, y) => x.adId.localeCompare(y.adId))).toEqual([cell('a', 3), cell('c', 4)]);
  });
});
