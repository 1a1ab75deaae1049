import { slicesOf } from '../../shared/aggregation/definition.ts';
import { MINUTE_MS, minuteOf } from '../../shared/aggregation/time.ts';
import type { ClickEvent } from '../../shared/click-event/types.ts';
import { AdIds } from './ad-ids.ts';
import { ClickIdSet } from './click-id-set.ts';
import { FrozenCells } from './frozen-cells.ts';
import type {
  AddOutcome,
  AggregateOptions,
  MinuteState,
  PartitionSnapshot,
  SliceCounts,
  StateChanges,
} from './state-types.ts';

/** Late click ids remembered per partition, only to count a retried late click once in metrics. */
const LATE_IDS_KEPT = 10_000;
/** Cells frozen per plan over all partitions: bounds the pause after a peak minute closed. */
export const FREEZE_CELLS_PER_PLAN = 200_000;

/**
 * Ad ids a partition's table holds before it is first checked for ids no retained minute uses
 * (`AggregateOptions.adIdsCheckFrom` overrides it): below this the table costs a few MB at most.
 */
export const AD_IDS_CHECK_FROM = 65_536;

/** What is left of one plan's `FREEZE_CELLS_PER_PLAN`. */
export interface FreezeBudget {
  cells: number;
}

/**
 * The aggregate node's state for one Kafka partition: per-minute tumbling windows of
 * `(ad, slice) → clicks` by event time, the click ids seen in each open minute, and the
 * partition's watermark. Everything a restart needs is in `snapshot()`, together with the offset
 * of the next record, so state and input position are restored as one.
 *
 * Rules (the same as the independent recount in the tests):
 * - watermark = max event time seen − allowed lateness (never moves back);
 * - minute `[m, m + 1 min)` is closed once watermark ≥ m + 1 min;
 * - a click of a closed minute is late: not counted here (the batch layer counts it);
 * - a click id already seen in its open minute is a duplicate: not counted again.
 */
export class PartitionState {
  readonly partition: number;
  readonly #options: AggregateOptions;
  /** Offset of the next record to consume (decimal string, Kafka offsets are int64). */
  nextOffset = '0';
  #maxEventMs: number | undefined;
  #watermarkMs = Number.NEGATIVE_INFINITY;
  /** Wall-clock time of the last event, for the idle rule (not persisted: restarts reset it). */
  #lastEventWallMs: number;
  /** Records wait in Kafka behind the last one consumed (see `setLagging`). */
  #lagging = false;
  readonly #minutes = new Map<number, MinuteState>();
  /** Ad ids of the closed minutes' compact cells (replaced when pruned, see `#pruneAdIds`). */
  #ads = new AdIds();
  /** Table size of `#pruneAdIds`'s first look, and the least of any later one. */
  readonly #adIdsCheckFrom: number;
  /** Table size at which `#pruneAdIds` looks again. */
  #nextAdIdsCheck: number;
  #adIdsPrunes = 0;
  readonly #lateIds = new Set<string>();
  /** Closed minutes whose ids are dropped and whose slices are not all frozen yet. */
  readonly #freezing = new Set<number>();
  #changes: StateChanges = { cells: new Map(), closed: [] };
  #changedCells = 0;

  constructor(partition: number, options: AggregateOptions, nowMs = Date.now()) {
    this.partition = partition;
    this.#options = options;
    this.#lastEventWallMs = nowMs;
    this.#adIdsCheckFrom = options.adIdsCheckFrom ?? AD_IDS_CHECK_FROM;
    this.#nextAdIdsCheck = this.#adIdsCheckFrom;
  }

  /** How many times the ad id table was rebuilt without its unused ids. */
  get adIdsPrunes(): number {
    return this.#adIdsPrunes;
  }

  /** The partition's ad ids as small integers (its frozen minutes' and the ranker's index). */
  get adIds(): AdIds {
    return this.#ads;
  }

  /** Current watermark (epoch ms), or `-Infinity` before the first event. */
  get watermarkMs(): number {
    return this.#watermarkMs;
  }

  get maxEventMs(): number | undefined {
    return this.#maxEventMs;
  }

  /** Adds one valid click read from this partition. */
  add(event: ClickEvent, nowMs = Date.now()): AddOutcome {
    const minute = minuteOf(event.timestampMs);
    const state = this.#minutes.get(minute);
    let outcome: AddOutcome;
    if (minute + MINUTE_MS <= this.#watermarkMs) {
      outcome = state?.ids?.has(event.clickId) || this.#lateIds.has(event.clickId) ? 'duplicate' : 'late';
      if (outcome === 'late') this.#rememberLate(event.clickId);
    } else {
      const open = state ?? this.#openMinute(minute);
      const ids = open.ids ?? new ClickIdSet();
      open.ids = ids;
      if (!ids.add(event.clickId)) outcome = 'duplicate';
      else {
        this.#count(minute, open.counts, event);
        outcome = 'counted';
      }
    }
    this.#lastEventWallMs = nowMs;
    if (this.#maxEventMs === undefined || event.timestampMs > this.#maxEventMs) {
      this.#maxEventMs = event.timestampMs;
      this.#watermarkMs = Math.max(this.#watermarkMs, event.timestampMs - this.#options.allowedLatenessMs);
    }
    return outcome;
  }

  /**
   * Records whether records of this partition wait in Kafka behind the last one consumed. A
   * lagging partition is not idle, however long since its last event: its silence is the
   * consumer's, and moving its watermark on would make the waiting records late.
   */
  setLagging(lagging: boolean): void {
    this.#lagging = lagging;
  }

  /** Restarts the idle clock (after fetching was paused: that silence was the consumer's too). */
  touch(nowMs = Date.now()): void {
    this.#lastEventWallMs = Math.max(this.#lastEventWallMs, nowMs);
  }

  /**
   * Lets an idle partition's watermark follow processing time: after `idleTimeoutMs` without
   * events (and not lagging) it is max event time − lateness + the wall-clock time since the
   * last event.
   */
  advanceIdle(nowMs = Date.now()): void {
    if (this.#maxEventMs === undefined || this.#lagging) return;
    const idleFor = nowMs - this.#lastEventWallMs;
    if (idleFor < this.#options.idleTimeoutMs) return;
    const candidate = this.#maxEventMs - this.#options.allowedLatenessMs + idleFor;
    if (candidate > this.#watermarkMs) this.#watermarkMs = candidate;
  }

  /**
   * Marks the minutes the watermark has passed as closed (reported once in `drainChanges`),
   * forgets their ids after one more minute and freezes their cells, and drops minutes older
   * than the retention.
   * @param freeze cells that may still be frozen in this call (taken from; shared by the
   * partitions of one plan)
   */
  closeMinutes(freeze: FreezeBudget = { cells: FREEZE_CELLS_PER_PLAN }): void {
    const wm = this.#watermarkMs;
    const keepFrom = minuteOf(wm) - this.#options.retainMs;
    for (const [minute, state] of this.#minutes) {
      if (!state.closed && minute + MINUTE_MS <= wm) {
        state.closed = true;
        this.#changes.closed.push(minute);
      }
      // Frozen a minute after closing, with its ids dropped: not in the same plan as the closing
      // one. A peak minute holds millions of cells, so a few slices a call (each call is a
      // plan, and the event loop waits for it).
      if (state.closed && state.ids !== undefined && minute + 2 * MINUTE_MS <= wm) {
        state.ids = undefined;
        this.#freezing.add(minute);
      }
      if (freeze.cells > 0 && this.#freezing.has(minute))
        freeze.cells -= this.#freezeSome(minute, freeze.cells);
      if (state.closed && minute < keepFrom) {
        this.#minutes.delete(minute);
        this.#freezing.delete(minute);
      }
    }
    if (this.#ads.size >= this.#nextAdIdsCheck) this.#pruneAdIds(freeze);
  }

  /**
   * Rebuilds the ad id table without the ids no retained minute uses, once a third of it is such.
   * An id stays in the table while the state lives, so ads that come and go (a catalogue that
   * changes over days, cold ads clicked once) would grow it, and the ranker's per-ad arrays sized
   * to it, without bound. Looked at only when the table has grown by a quarter since the last
   * look: one pass over the retained cells (a few ns each).
   *
   * The new table keeps the used ids in their old order, so each closed minute is re-encoded
   * with its indexes mapped, without a sort. Each minute's slice map is replaced, not changed,
   * so a holder of the old one (a closing burst being written) keeps reading the same values
   * through the old table; the partition's ranker sees the new table and starts over from the
   * retained minutes, as after a restore. At most once per plan, and only in a plan that froze
   * nothing (`freeze` is then used up), so it never adds to a closing burst's pause.
   */
  #pruneAdIds(freeze: FreezeBudget): void {
    if (freeze.cells < FREEZE_CELLS_PER_PLAN) return;
    const old = this.#ads;
    const remap = new Int32Array(old.size).fill(-1);
    let inUse = 0;
    const mark = (index: number) => {
      if (remap[index] === -1) {
        remap[index] = 0;
        inUse++;
      }
    };
    for (const state of this.#minutes.values()) {
      for (const cells of state.counts.values()) {
        if (cells instanceof FrozenCells && cells.indexedBy(old)) cells.forEachIndexed(mark);
        else {
          for (const adId of cells.keys()) {
            const index = old.indexOf(adId);
            if (index !== undefined) mark(index);
          }
        }
      }
    }
    if (inUse * 3 > old.size * 2) {
      this.#nextAdIdsCheck = Math.max(this.#adIdsCheckFrom, Math.ceil(old.size * 1.25));
      return;
    }
    const ads = new AdIds();
    for (let i = 0; i < remap.length; i++) if (remap[i] === 0) remap[i] = ads.intern(old.at(i));
    for (const state of this.#minutes.values()) {
      let counts: SliceCounts | undefined;
      for (const [slice, cells] of state.counts) {
        if (!(cells instanceof FrozenCells)) continue;
        counts ??= new Map(state.counts);
        counts.set(slice, cells.indexedBy(old) ? cells.remapped(ads, remap) : FrozenCells.from(cells, ads));
      }
      if (counts !== undefined) state.counts = counts;
    }
    this.#ads = ads;
    this.#adIdsPrunes++;
    this.#nextAdIdsCheck = Math.max(this.#adIdsCheckFrom, Math.ceil(inUse * 1.5));
    freeze.cells = 0;
  }

  /** Cells changed since the previous `drainChanges` (what the next plan will write). */
  get changedCells(): number {
    return this.#changedCells;
  }

  /** Returns and resets what changed since the previous call. */
  drainChanges(): StateChanges {
    const changes = this.#changes;
    this.#changes = { cells: new Map(), closed: [] };
    this.#changedCells = 0;
    changes.closed.sort((a, b) => a - b);
    return changes;
  }

  /** Counts of one minute (undefined when the minute is unknown or no longer retained). */
  minute(minute: number): MinuteState | undefined {
    return this.#minutes.get(minute);
  }

  /** Retained minutes, oldest first. */
  minutes(): number[] {
    return [...this.#minutes.keys()].sort((a, b) => a - b);
  }

  /**
   * @param stored closed minute → epoch its counts are stored under: such a minute is referred
   * to (`stored`) instead of copied, so a snapshot's cost stays that of the open minutes
   */
  snapshot(stored: ReadonlyMap<number, number> = new Map()): PartitionSnapshot {
    return {
      partition: this.partition,
      nextOffset: this.nextOffset,
      maxEventMs: this.#maxEventMs ?? null,
      watermarkMs: Number.isFinite(this.#watermarkMs) ? this.#watermarkMs : null,
      lateIds: [...this.#lateIds],
      minutes: this.minutes().map((minute) => {
        const s = this.#minutes.get(minute)!;
        const idHashes = s.ids === undefined ? null : s.ids.toBase64();
        const epoch = s.closed ? stored.get(minute) : undefined;
        if (epoch !== undefined) return { minute, closed: true, idHashes, counts: {}, stored: epoch };
        return { minute, closed: s.closed, idHashes, counts: countsRecord(s.counts) };
      }),
    };
  }

  /** Rebuilds a partition's state from its snapshot (no pending changes). */
  static restore(snapshot: PartitionSnapshot, options: AggregateOptions, nowMs = Date.now()): PartitionState {
    const state = new PartitionState(snapshot.partition, options, nowMs);
    state.nextOffset = snapshot.nextOffset;
    state.#maxEventMs = snapshot.maxEventMs ?? undefined;
    state.#watermarkMs = snapshot.watermarkMs ?? Number.NEGATIVE_INFINITY;
    for (const id of snapshot.lateIds) state.#lateIds.add(id);
    for (const m of snapshot.minutes) {
      // Put back by `withStoredMinutes` before a restore; an empty minute here would lose clicks.
      if (m.stored != null) throw new Error(`minute ${m.minute} of the snapshot is not loaded`);
      let counts: SliceCounts = new Map();
      for (const [slice, ads] of Object.entries(m.counts)) counts.set(slice, new Map(ads));
      if (m.closed) counts = state.#freeze(counts);
      state.#minutes.set(m.minute, {
        counts,
        closed: m.closed,
        ids: restoreIds(m),
      });
    }
    return state;
  }

  /**
   * Freezes slices of a minute (one at least) until `budget` cells are frozen; returns how many.
   * The minute's slice map is replaced, not changed, so a holder of the previous one (a closing
   * burst being written) keeps reading the same values.
   */
  #freezeSome(minute: number, budget: number): number {
    const state = this.#minutes.get(minute)!;
    const counts: SliceCounts = new Map(state.counts);
    let frozen = 0;
    let done = true;
    for (const [slice, ads] of counts) {
      if (ads instanceof FrozenCells) continue;
      if (frozen > 0 && frozen + ads.size > budget) {
        done = false;
        break;
      }
      counts.set(slice, FrozenCells.from(ads, this.#ads));
      frozen += ads.size;
    }
    state.counts = counts;
    if (done) this.#freezing.delete(minute);
    return frozen;
  }

  /** A closed minute's cells in their compact form (it takes no more clicks). */
  #freeze(counts: SliceCounts): SliceCounts {
    const frozen: SliceCounts = new Map();
    for (const [slice, ads] of counts) frozen.set(slice, FrozenCells.from(ads, this.#ads));
    return frozen;
  }

  #openMinute(minute: number): MinuteState {
    const state: MinuteState = { counts: new Map(), ids: new ClickIdSet(), closed: false };
    this.#minutes.set(minute, state);
    return state;
  }

  #count(minute: number, counts: SliceCounts, event: ClickEvent): void {
    let changed = this.#changes.cells.get(minute);
    if (changed === undefined) {
      changed = new Map();
      this.#changes.cells.set(minute, changed);
    }
    for (const slice of slicesOf(event, this.#options.definition)) {
      // Only open minutes are counted into, and theirs are Maps (closed ones are frozen).
      let ads = counts.get(slice) as Map<string, number> | undefined;
      if (ads === undefined) {
        ads = new Map();
        counts.set(slice, ads);
      }
      ads.set(event.adId, (ads.get(event.adId) ?? 0) + 1);
      let changedAds = changed.get(slice);
      if (changedAds === undefined) {
        changedAds = new Set();
        changed.set(slice, changedAds);
      }
      const before = changedAds.size;
      changedAds.add(event.adId);
      this.#changedCells += changedAds.size - before;
    }
  }

  #rememberLate(clickId: string): void {
    this.#lateIds.add(clickId);
    if (this.#lateIds.size > LATE_IDS_KEPT) {
      const oldest = this.#lateIds.values().next().value;
      if (oldest !== undefined) this.#lateIds.delete(oldest);
    }
  }
}

/** A minute's counts in the snapshot form: slice → [adId, count][]. */
export function countsRecord(counts: SliceCounts): Record<string, Array<[string, number]>> {
  const out: Record<string, Array<[string, number]>> = {};
  for (const [slice, ads] of counts) out[slice] = [...ads];
  return out;
}

/** A minute's click ids from a snapshot: hashes (format 2) or the ids themselves (format 1). */
function restoreIds(m: PartitionSnapshot['minutes'][number]): ClickIdSet | undefined {
  if (typeof m.idHashes === 'string') return ClickIdSet.fromBase64(m.idHashes);
  if (Array.isArray(m.ids)) return ClickIdSet.of(m.ids);
  return undefined;
}
