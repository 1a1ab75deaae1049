import { describe, expect, it } from 'vitest';
import { CachedSpeedView } from '../../../../serving-layer/merge/cached-speed-view.ts';
import { MergedView } from '../../../../serving-layer/merge/merged-view.ts';
import type { ViewReader } from '../../../../shared/aggregate-store/types.ts';
import { MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import { FakeView } from '../fake-views.ts';

/**
 * The freshness budget of open speed minutes: concurrent identical reads share one round trip
 * (single-flight), a result is reused for at most the budget, and answers stay exact. The clock is
 * injected; reads are held open by a gate instead of timing them.
 */
const H0 = Date.UTC(2026, 0, 5, 10, 0);
const m = (i: number) => H0 + i * MINUTE_MS;
const BUDGET = 250;

function clock(start: number) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** A view whose reads wait until `release()` while `held`, to see who shares an in-flight read. */
class GatedView implements ViewReader {
  held = false;
  failNext = false;
  #waiting: Array<() => void> = [];
  constructor(readonly inner: FakeView) {}

  release(): void {
    this.held = false;
    for (const go of this.#waiting.splice(0)) go();
  }

  async #gate(): Promise<void> {
    if (this.held) await new Promise<void>((go) => this.#waiting.push(go));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('read failed');
    }
  }

  async minuteCounts(adId: string, slice: string, from: number, to: number) {
    const cells = this.inner.minuteCounts(adId, slice, from, to);
    await this.#gate();
    return cells;
  }

  async sliceMinute(slice: string, minute: number) {
    const list = this.inner.sliceMinute(slice, minute);
    await this.#gate();
    return list;
  }

  async topList(windowMinutes: number, slice: string, endMinute: number) {
    const list = this.inner.topList(windowMinutes, slice, endMinute);
    await this.#gate();
    return list;
  }
}

/** Now is 10:30:30; minutes before 10:29 are closed; 10:29 and 10:30 are open. */
function fixture(openTtlMs = BUDGET) {
  const inner = new FakeView();
  for (let i = 0; i < 31; i++) inner.set('ad-1', 'all', m(i), 1).set('ad-2', 'all', m(i), 2);
  const gated = new GatedView(inner);
  const c = clock(m(30) + 30_000);
  const reads = { hit: 0, miss: 0 };
  const view = new CachedSpeedView(gated, {
    closedAfterMs: 60_000,
    openTtlMs,
    now: c.now,
    onOpenRead: (hit) => void reads[hit ? 'hit' : 'miss']++,
  });
  const sliceReads = (minute: number) => inner.calls.filter((x) => x === `sliceMinute ${minute}`).length;
  return { inner, gated, c, view, reads, sliceReads };
}

const sum = (cells: Array<{ count: number }>) => cells.reduce((s, x) => s + x.count, 0);

describe('CachedSpeedView: open minutes within the freshness budget', () => {
  it('concurrent identical reads of an open minute share one read', async () => {
    const { gated, view, reads, sliceReads } = fixture();
    gated.held = true;
    const pending = Array.from({ length: 8 }, () => view.sliceMinute('all', m(30)));
    expect(sliceReads(m(30))).toBe(1);
    gated.release();
    const answers = await Promise.all(pending);
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]).toEqual([
      { adId: 'ad-2', count: 2 },
      { adId: 'ad-1', count: 1 },
    ]);
    expect(reads).toEqual({ hit: 7, miss: 1 });
  });

  it('a change to an open minute is served no later than the budget after it', async () => {
    const { inner, c, view, sliceReads } = fixture();
    const cells = () => view.minuteCounts('ad-1', 'all', m(0), m(31));
    expect(sum(await cells())).toBe(31);
    inner.set('ad-1', 'all', m(30), 5);
    c.advance(BUDGET / 2 - 1);
    // Inside the first half of the budget: the earlier read is served as it was.
    expect(sum(await cells())).toBe(31);
    await view.sliceMinute('all', m(30));
    c.advance(BUDGET / 2);
    // Later in the budget a read may still be served the old value while it is re-read behind it.
    expect([31, 35]).toContain(sum(await cells()));
    c.advance(1);
    // At the budget, nothing older than it is served.
    expect(sum(await cells())).toBe(35);
    expect(sliceReads(m(30))).toBe(1);
  });

  it('reuses a read for at most the budget, then reads again; closed minutes stay on their own cache', async () => {
    const { inner, c, view } = fixture();
    for (let i = 0; i < 20; i++) await view.minuteCounts('ad-1', 'all', m(0), m(31));
    const open = inner.calls.filter((x) => x.startsWith(`minuteCounts ${m(29)}`)).length;
    const closed = inner.calls.filter((x) => x.startsWith(`minuteCounts ${m(0)}`)).length;
    expect([open, closed]).toEqual([1, 1]);
    c.advance(BUDGET);
    await view.minuteCounts('ad-1', 'all', m(0), m(31));
    expect(inner.calls.filter((x) => x.startsWith(`minuteCounts ${m(29)}`))).toHaveLength(2);
    expect(inner.calls.filter((x) => x.startsWith(`minuteCounts ${m(0)}`))).toHaveLength(1);
  });

  it("one ad's open cells may have a budget of their own", async () => {
    const inner = new FakeView().set('ad-1', 'all', m(30), 1);
    const c = clock(m(30) + 30_000);
    const view = new CachedSpeedView(inner, {
      closedAfterMs: 60_000,
      openTtlMs: BUDGET / 2,
      openCellsTtlMs: BUDGET,
      now: c.now,
    });
    const read = async () => ({
      cells: sum(await view.minuteCounts('ad-1', 'all', m(29), m(31))),
      slice: sum(await view.sliceMinute('all', m(30))),
    });
    expect(await read()).toEqual({ cells: 1, slice: 1 });
    inner.set('ad-1', 'all', m(30), 7);
    c.advance(BUDGET / 2);
    // The slice minute's budget is over; the cells are still within theirs.
    expect(await read()).toEqual({ cells: 1, slice: 7 });
    c.advance(BUDGET / 2);
    expect(await read()).toEqual({ cells: 7, slice: 7 });
  });

  it('a failed read is shared by its waiters but not kept: the next request reads again', async () => {
    const { gated, view, sliceReads } = fixture();
    gated.held = true;
    gated.failNext = true;
    const both = [view.sliceMinute('all', m(29)), view.sliceMinute('all', m(29))];
    gated.release();
    for (const p of both) await expect(p).rejects.toThrow('read failed');
    expect(await view.sliceMinute('all', m(29))).toHaveLength(2);
    expect(sliceReads(m(29))).toBe(2);
  });

  it('with a budget of 0 every request reads the open minutes', async () => {
    const { view, reads, sliceReads } = fixture(0);
    await Promise.all([view.sliceMinute('all', m(30)), view.sliceMinute('all', m(30))]);
    await view.sliceMinute('all', m(30));
    expect(sliceReads(m(30))).toBe(3);
    expect(reads).toEqual({ hit: 0, miss: 0 });
  });

  it('refuses a budget that is not a whole number ≥ 0, naming it', () => {
    for (const openTtlMs of [-1, 2.5])
      expect(() => new CachedSpeedView(new FakeView(), { closedAfterMs: 0, openTtlMs })).toThrow(
        /speedCache\.openTtlMs/,
      );
  });
});

describe('MergedView: popular over a window still open, within the budget', () => {
  /** Wired as serving-layer.ts does: half the budget for open reads, half for live answers. */
  function setup() {
    const { inner, c, view, sliceReads } = fixture(BUDGET / 2);
    for (let i = 0; i < 31; i++) for (let a = 3; a < 30; a++) inner.set(`ad-${a}`, 'all', m(i), (a * i) % 7);
    const merged = new MergedView(
      { speed: view, batch: new FakeView() },
      {
        topN: 100,
        popularCache: {
          ttlMs: 5000,
          liveTtlMs: BUDGET / 2,
          closedBefore: () => view.closedBefore(),
          now: c.now,
        },
      },
    );
    const plain = new MergedView({ speed: inner, batch: new FakeView() }, { topN: 100 });
    return { inner, c, merged, plain, sliceReads };
  }

  it('concurrent identical requests share one ranking, exact against the uncached view', async () => {
    const { merged, plain, sliceReads } = setup();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => merged.popular('all', 15, m(31), 1 + i * 10)),
    );
    // One read of each open minute for all eight.
    expect([sliceReads(m(29)), sliceReads(m(30))]).toEqual([1, 1]);
    const exact = (await plain.popular('all', 15, m(31), 100)).ads;
    for (const [i, a] of answers.entries()) expect(a.ads).toEqual(exact.slice(0, 1 + i * 10));
  });

  it('an open minute change shows within the whole budget, exactly', async () => {
    const { inner, c, merged, plain } = setup();
    const before = (await merged.popular('all', 15, m(31), 100)).ads;
    inner.set('ad-new', 'all', m(30), 50);
    const after = async () => {
      const exact = (await plain.popular('all', 15, m(31), 100)).ads;
      expect(exact[0]).toEqual({ adId: 'ad-new', count: 50 });
      return exact;
    };
    const expected = await after();
    // Within the budget either answer may be served, each exact for its moment, never a mix.
    for (let t = 0; t < BUDGET; t += 25) {
      expect([before, expected]).toContainEqual((await merged.popular('all', 15, m(31), 100)).ads);
      c.advance(25);
    }
    expect((await merged.popular('all', 15, m(31), 100)).ads).toEqual(expected);
  });

  it('refuses a live budget that is not a whole number ≥ 0', () => {
    expect(
      () =>
        new MergedView(
          { speed: new FakeView(), batch: new FakeView() },
          { topN: 10, popularCache: { ttlMs: 1, liveTtlMs: -5, closedBefore: () => 0 } },
        ),
    ).toThrow(/liveTtlMs/);
  });
});
