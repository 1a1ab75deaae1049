import { describe, expect, it } from 'vitest';
import { definitionFrom } from '../../../shared/aggregation/definition.ts';
import { loadConfig } from '../../../shared/config/config.ts';
import { PartitionState } from '../../../speed-layer/aggregate/partition-state.ts';
import { BackpressureGate } from '../../../speed-layer/flush/backpressure.ts';
import { FlushPipeline } from '../../../speed-layer/flush/flush-pipeline.ts';

const MB = 1024 * 1024;

describe('backpressure gate', () => {
  it('pauses above the pending-row bound and resumes only at half of it', () => {
    const gate = new BackpressureGate({ maxPendingRows: 1000, maxHeapBytes: 512 * MB });
    const heapBytes = 100 * MB;
    expect(gate.update({ pendingRows: 1000, heapBytes })).toBeUndefined();
    expect(gate.update({ pendingRows: 1001, heapBytes })).toBe('pause');
    expect(gate.paused).toBe(true);
    expect(gate.update({ pendingRows: 2000, heapBytes })).toBeUndefined();
    expect(gate.update({ pendingRows: 501, heapBytes })).toBeUndefined();
    expect(gate.paused).toBe(true);
    expect(gate.update({ pendingRows: 500, heapBytes })).toBe('resume');
    expect(gate.paused).toBe(false);
    expect(gate.update({ pendingRows: 800, heapBytes })).toBeUndefined();
    expect(gate.update({ pendingRows: 5000, heapBytes })).toBe('pause');
    expect(gate.pauses).toBe(2);
  });

  it('pauses on a large heap only while a tenth of the row bound is pending, and resumes below it', () => {
    const gate = new BackpressureGate({ maxPendingRows: 1000, maxHeapBytes: 512 * MB });
    // A heap that is large with nothing to write: pausing would free nothing and stall for good.
    expect(gate.update({ pendingRows: 0, heapBytes: 900 * MB })).toBeUndefined();
    // Nor with a few rows left (the retained minutes fill the heap; the last round is writing).
    expect(gate.update({ pendingRows: 99, heapBytes: 900 * MB })).toBeUndefined();
    expect(gate.paused).toBe(false);
    expect(gate.update({ pendingRows: 100, heapBytes: 600 * MB })).toBe('pause');
    // Under half the rows but the heap still above 90% of its bound: keep waiting.
    expect(gate.update({ pendingRows: 300, heapBytes: 480 * MB })).toBeUndefined();
    expect(gate.update({ pendingRows: 300, heapBytes: 400 * MB })).toBe('resume');
    expect(gate.update({ pendingRows: 200, heapBytes: 600 * MB })).toBe('pause');
    // Too few rows left for the heap bound to apply: resume whatever the heap says.
    expect(gate.update({ pendingRows: 99, heapBytes: 600 * MB })).toBe('resume');
    expect(gate.pauses).toBe(2);
  });
});

describe('what backpressure measures', () => {
  it('counts changed cells once per (minute, slice, ad) until drained', () => {
    const definition = definitionFrom(loadConfig({}));
    const state = new PartitionState(0, {
      definition,
      allowedLatenessMs: 15_000,
      idleTimeoutMs: 30_000,
      retainMs: 0,
    });
    const click = (clickId: string, adId: string, country: string) => ({
      clickId,
      adId,
      timestampMs: 60_000,
      userId: 'u',
      ip: '127.0.0.1',
      country,
    });
    state.add(click('c1', 'a', 'US'), 0);
    state.add(click('c2', 'a', 'US'), 0);
    const perClick = state.changedCells;
    expect(perClick).toBeGreaterThan(0);
    state.add(click('c3', 'b', 'US'), 0);
    expect(state.changedCells).toBe(2 * perClick);
    state.drainChanges();
    expect(state.changedCells).toBe(0);
  });

  it('pending rows of the pipeline fall as the cell and list stages write', async () => {
    const releases: Array<() => void> = [];
    const hold = () => new Promise<void>((resolve) => releases.push(resolve));
    const pipeline = new FlushPipeline({
      takeDue: () => undefined,
      writeCells: hold,
      writeLists: hold,
      snapshotsDue: () => false,
      saveSnapshots: async () => undefined,
      failed: () => undefined,
    });
    pipeline.push({
      cells: [1, 2, 3].map((i) => ({ adId: `a${i}`, slice: 'all', minute: 0, count: i })),
      closedCells: [],
      finalCells: [],
      closed: [{ partition: 0, minute: 0, watermarkMs: 60_000 }],
      topLists: [],
      partitionTopLists: [],
    });
    expect(pipeline.pendingRows()).toBe(4);
    pipeline.kick();
    releases.shift()?.();
    // Cells written: only the closed-minute marker is left, in the list stage.
    await new Promise((resolve) => setImmediate(resolve));
    expect(pipeline.pendingRows()).toBe(1);
    releases.shift()?.();
    await pipeline.settled();
    expect(pipeline.pendingRows()).toBe(0);
  });
});
