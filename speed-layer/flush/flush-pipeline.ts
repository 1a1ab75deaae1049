import type { ClosedMinute, MinuteCount, TopList } from '../../shared/aggregate-store/types.ts';
import type { FlushPlan } from '../aggregate/partition-states.ts';
import type { PartitionTopList } from '../reduce/types.ts';

/** Where the pipeline writes, and what it asks of its owner (the speed layer). */
export interface FlushStages {
  /** Takes a plan if one is due (pushing it with `push`); called before each cell write. */
  takeDue(): void;
  /** Upserts cells (absolute values): `closed` ones are final for a partition that closed them. */
  writeCells(cells: MergedCells): Promise<void>;
  /** Writes the top lists of a plan, then its closed-minute markers. */
  writeLists(plan: FlushPlan): Promise<void>;
  /** Whether a snapshot taken at a round ≤ `through` still waits to be saved. */
  snapshotsDue(through: number): boolean;
  /** Saves the snapshots taken at rounds ≤ `through` (all their cells and lists are written). */
  saveSnapshots(through: number): Promise<void>;
  /** A stage failed; it is retried on the next `kick`. */
  failed(stage: 'cells' | 'lists', error: unknown): void;
}

interface Round {
  seq: number;
  plan: FlushPlan;
}

/**
 * The write path of the speed layer as two serial stages, so a click's cell never waits for top
 * lists or snapshots:
 *
 * - cell stage: writes the cells of every queued round (merged, the newest value of a cell wins;
 *   changed cells ahead of a closing minute's burst of per-ad rows), then hands the rounds to the list stage;
 * - list stage: writes the rounds' top lists, then their closed-minute markers, then saves the
 *   snapshots of every round whose cells and lists are all written.
 *
 * Why this keeps exactly-once:
 * - cells are absolute-value upserts, and a cell is only ever written with a value at least as new
 *   as the one written before (a round waits in the queue until its cells are written; later
 *   rounds are merged into a retry, and into a pass still writing a burst of closed cells, with
 *   the newest value of each cell winning), so the view never steps back;
 *   writing round N+1's cells before round N's lists changes nothing a restart relies on;
 * - top lists are absolute too and written in round order by the single list stage;
 * - a round reaches the list stage only after its cells (and every earlier round's) are written,
 *   so a closed-minute marker is written after the minute's final cell values, which are in the
 *   round that closes it or an earlier one;
 * - a snapshot taken at round N describes the input prefix of rounds ≤ N; it is saved only once
 *   no round ≤ N is queued in either stage, i.e. every cell and list of that prefix is written.
 *   A crash before the save replays from the previous snapshot and rewrites the same values.
 */
/** Closed cells per write of a pass: small enough that newer changed cells wait for one chunk only. */
const CLOSED_CHUNK_CELLS = 5000;
/**
 * A pass merges newer rounds only this long, so a store slower than the input cannot keep a pass
 * (and the lists and snapshots behind it) going for ever; backpressure bounds it as well.
 */
const MAX_MERGING_PASS_MS = 30_000;

export class FlushPipeline {
  readonly #stages: FlushStages;
  readonly #cellQueue: Round[] = [];
  readonly #listQueue: Round[] = [];
  #planned = 0;
  /**
   * Queued rounds (from the front) whose cells the pass in progress holds. Its burst is left out
   * of `pendingRows`: those cells are planned already, and pausing the input while they are
   * written would only stop the changed cells of newer clicks (which the pass writes between its
   * chunks) and let the view go stale; the heap bound still applies.
   */
  #passRounds = 0;
  #cellsActive = false;
  #cellsRun: Promise<void> = Promise.resolve();
  #listsActive = false;
  #listsRun: Promise<void> = Promise.resolve();

  constructor(stages: FlushStages) {
    this.#stages = stages;
  }

  /**
   * Queues a plan; returns its round number. An empty plan is not queued, but still gets a number
   * (snapshots taken with it are saved once the rounds before it are written).
   */
  push(plan: FlushPlan): number {
    const seq = ++this.#planned;
    const size =
      plan.cells.length +
      plan.closedCells.length +
      plan.closed.length +
      plan.topLists.length +
      plan.partitionTopLists.length;
    if (size > 0) this.#cellQueue.push({ seq, plan });
    return seq;
  }

  /** Highest round whose cells and lists, and those of every earlier round, are written. */
  writtenThrough(): number {
    // Rounds move from the cell queue to the list queue in order: the list queue holds the oldest.
    const oldest = this.#listQueue[0] ?? this.#cellQueue[0];
    return oldest === undefined ? this.#planned : oldest.seq - 1;
  }

  /**
   * Rows queued in either stage: cells not yet written, and top-list rows of rounds whose lists
   * are not yet written (what backpressure bounds).
   */
  pendingRows(): number {
    let rows = 0;
    for (const [i, r] of this.#cellQueue.entries()) {
      // Rounds merged into the pass in progress: their cells are in its burst, not counted here.
      rows += listRows(r.plan);
      if (i >= this.#passRounds) rows += r.plan.cells.length + r.plan.closedCells.length;
    }
    for (const r of this.#listQueue) rows += listRows(r.plan);
    return rows;
  }

  /** Whether a queued round carries top lists (ranking more now would only queue behind them). */
  hasRankedPending(): boolean {
    const ranked = (r: Round) => r.plan.topLists.length > 0 || r.plan.partitionTopLists.length > 0;
    return this.#cellQueue.some(ranked) || this.#listQueue.some(ranked);
  }

  /** Starts both stages if they are idle (a failed stage retries here). */
  kick(): void {
    this.#pumpCells().catch(() => undefined);
    this.#pumpLists().catch(() => undefined);
  }

  /** Runs both stages until round `seq` and its snapshots are written; rejects on a failure. */
  async drain(seq: number): Promise<void> {
    while (this.writtenThrough() < seq || this.#stages.snapshotsDue(seq)) {
      await this.#pumpCells();
      await this.#pumpLists();
    }
  }

  /** Resolves when the writes in progress have ended (successfully or not). */
  async settled(): Promise<void> {
    await this.#cellsRun.catch(() => undefined);
    await this.#listsRun.catch(() => undefined);
  }

  #pumpCells(): Promise<void> {
    if (!this.#cellsActive) {
      this.#cellsActive = true;
      this.#cellsRun = this.#runCells();
    }
    return this.#cellsRun;
  }

  #pumpLists(): Promise<void> {
    if (!this.#listsActive) {
      this.#listsActive = true;
      this.#listsRun = this.#runLists();
    }
    return this.#listsRun;
  }

  async #runCells(): Promise<void> {
    try {
      for (;;) {
        this.#stages.takeDue();
        if (this.#cellQueue.length === 0) return;
        await this.#cellPass();
      }
    } catch (error) {
      this.#stages.failed('cells', error);
      throw error;
    } finally {
      // A failed pass leaves its rounds queued, counted again until the retry takes them.
      this.#passRounds = 0;
      this.#cellsActive = false;
    }
  }

  /**
   * Writes the cells of the queued rounds: changed cells first, closed ones in chunks. A closing
   * minute can bring hundreds of thousands of closed cells at once; rounds that come due while
   * some of them remain are merged into the pass (their values are newer, so the newest value of
   * each cell still wins) and their changed cells are written before the next chunk, which keeps
   * the view fresh through the burst. The pass's rounds go to the list stage only once every
   * cell of the pass is written, so markers and snapshots keep their order. A failed write leaves
   * every round of the pass queued: the retry merges and writes them all again (absolute values).
   */
  async #cellPass(): Promise<void> {
    const started = performance.now();
    let covered = this.#cellQueue.length;
    this.#passRounds = covered;
    let { changed, closed } = mergeCells(this.#cellQueue.map((r) => r.plan));
    // Position of each cell in `closed`, built when a newer round first comes during the burst.
    let index: CellPositions | undefined;
    let next = 0;
    for (;;) {
      if (changed.length > 0) {
        await this.#stages.writeCells({ changed, closed: [] });
        changed = [];
      } else if (next < closed.length) {
        const end = Math.min(closed.length, next + CLOSED_CHUNK_CELLS);
        await this.#stages.writeCells({ changed: [], closed: closed.slice(next, end) });
        next = end;
      } else break;
      if (next >= closed.length || performance.now() - started > MAX_MERGING_PASS_MS) continue;
      this.#stages.takeDue();
      if (this.#cellQueue.length === covered) continue;
      const newer = mergeCells(this.#cellQueue.slice(covered).map((r) => r.plan));
      covered = this.#cellQueue.length;
      this.#passRounds = covered;
      changed = newer.changed;
      // Newer values replace the ones still waiting in the burst in place, so each round costs
      // its own size, not the burst's: a newer closed cell already written goes again at the end.
      if (index === undefined) {
        closed = closed.slice();
        index = new CellPositions();
        for (let i = 0; i < closed.length; i++) index.set(closed[i]!, i);
      }
      for (const c of newer.changed) {
        const at = index.get(c);
        if (at !== undefined && at >= next) closed[at] = c;
      }
      for (const c of newer.closed) {
        const at = index.get(c);
        if (at !== undefined && at >= next) closed[at] = c;
        else {
          index.set(c, closed.length);
          closed.push(c);
        }
      }
    }
    const rounds = this.#cellQueue.splice(0, covered);
    this.#passRounds = 0;
    // The list stage needs no cells: let them go now rather than after the lists.
    for (const r of rounds)
      this.#listQueue.push({ seq: r.seq, plan: { ...r.plan, cells: [], closedCells: [] } });
    this.#pumpLists().catch(() => undefined);
  }

  async #runLists(): Promise<void> {
    try {
      for (;;) {
        const rounds = this.#listQueue.slice();
        if (rounds.length > 0) {
          await this.#stages.writeLists(mergeLists(rounds.map((r) => r.plan)));
          this.#listQueue.splice(0, rounds.length);
        }
        const through = this.writtenThrough();
        if (this.#stages.snapshotsDue(through)) await this.#stages.saveSnapshots(through);
        if (this.#listQueue.length === 0) return;
      }
    } catch (error) {
      this.#stages.failed('lists', error);
      throw error;
    } finally {
      this.#listsActive = false;
    }
  }
}

function listRows(plan: FlushPlan): number {
  return plan.topLists.length + plan.partitionTopLists.length + plan.closed.length;
}

/** The cells of one write (see `SpeedViewStore.upsertCells`). */
export interface MergedCells {
  /** Cells changed in any of the rounds: the per-(slice, minute) rows. */
  changed: MinuteCount[];
  /** Cells of minutes closed in any of the rounds: the per-ad rows. */
  closed: MinuteCount[];
}

/**
 * Cells of several rounds, oldest first, as one write, each with its newest value: the cells
 * changed in any round, and every cell of a minute any round closed. The newest value is right
 * for both tables: a cell changed after one partition closed its minute (an ad counted in two
 * partitions) is written to the per-ad table again, with its final value, when the other
 * partition closes the minute.
 */
export function mergeCells(plans: readonly FlushPlan[]): MergedCells {
  if (plans.length === 1) return { changed: plans[0]!.cells, closed: plans[0]!.closedCells };
  const cells = new Map<string, { cell: MinuteCount; changed: boolean; closed: boolean }>();
  const put = (c: MinuteCount, changed: boolean, closed: boolean) => {
    const key = cellKey(c);
    const seen = cells.get(key);
    if (seen === undefined) cells.set(key, { cell: c, changed, closed });
    else {
      seen.cell = c;
      seen.changed ||= changed;
      seen.closed ||= closed;
    }
  };
  for (const plan of plans) {
    for (const c of plan.cells) put(c, true, false);
    for (const c of plan.closedCells) put(c, false, true);
  }
  const out: MergedCells = { changed: [], closed: [] };
  for (const { cell, changed, closed } of cells.values()) {
    if (changed) out.changed.push(cell);
    if (closed) out.closed.push(cell);
  }
  return out;
}

/**
 * Positions of cells by (minute, slice), then ad id: a closing burst holds millions of cells, and
 * keyed by their own ad id strings (the aggregate state's) an entry needs no new key string.
 */
class CellPositions {
  readonly #bySliceMinute = new Map<string, Map<string, number>>();

  get(c: MinuteCount): number | undefined {
    return this.#bySliceMinute.get(`${c.minute}\n${c.slice}`)?.get(c.adId);
  }

  set(c: MinuteCount, at: number): void {
    const key = `${c.minute}\n${c.slice}`;
    let ads = this.#bySliceMinute.get(key);
    if (ads === undefined) {
      ads = new Map();
      this.#bySliceMinute.set(key, ads);
    }
    ads.set(c.adId, at);
  }
}

function cellKey(c: MinuteCount): string {
  return `${c.minute}\n${c.slice}\n${c.adId}`;
}

/** Top lists and closed minutes of several plans, oldest first: the newest value of each list. */
export function mergeLists(plans: readonly FlushPlan[]): FlushPlan {
  if (plans.length === 1) return plans[0]!;
  const lists = new Map<string, TopList>();
  const local = new Map<string, PartitionTopList>();
  const closed: ClosedMinute[] = [];
  for (const p of plans) {
    for (const l of p.topLists) lists.set(`${l.windowMinutes}\n${l.slice}\n${l.endMinute}`, l);
    for (const l of p.partitionTopLists)
      local.set(`${l.windowMinutes}\n${l.slice}\n${l.endMinute}\n${l.partition}`, l);
    closed.push(...p.closed);
  }
  return {
    cells: [],
    closedCells: [],
    closed,
    topLists: [...lists.values()],
    partitionTopLists: [...local.values()],
  };
}
