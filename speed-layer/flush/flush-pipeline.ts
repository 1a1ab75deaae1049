import type { ClosedMinute, MinuteCount, TopList } from '../../shared/aggregate-store/types.ts';
import type { FlushPlan, MinuteCells } from '../aggregate/partition-states.ts';
import type { PartitionTopList } from '../reduce/types.ts';
import { FinalCellsReader } from './final-cells-reader.ts';

/** Where the pipeline writes, and what it asks of its owner (the speed layer). */
export interface FlushStages {
  /** Takes a plan if one is due (pushing it with `push`); called before each write of changed cells. */
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
  failed(stage: 'cells' | 'closed' | 'lists', error: unknown): void;
}

interface Round {
  seq: number;
  plan: FlushPlan;
}

/** Closed cells per write: a chunk of a closing minute's burst, so no single write is huge. */
const CLOSED_CHUNK_CELLS = 5000;

/**
 * The write path of the speed layer as three serial stages, each taking rounds in order from the
 * one before, so a click's cell never waits for a closing burst, top lists or snapshots:
 *
 * - changed stage: writes the changed cells of every queued round (merged, the newest value of a
 *   cell wins) to the per-(slice, minute) rows, the ones a reader of open minutes sees;
 * - closed stage: writes the cells of the minutes those rounds closed to the per-ad rows, in
 *   chunks (a peak minute closes millions at once), while the changed stage goes on beside it;
 * - list stage: writes the rounds' top lists, then their closed-minute markers, then saves the
 *   snapshots of every round whose cells and lists are all written.
 *
 * Why this keeps exactly-once:
 * - cells are absolute-value upserts, and each table is written by one stage in round order with
 *   the newest value of each cell of the rounds it merges (a failed write leaves them queued;
 *   later rounds are merged into the retry), so the view never steps back. The two tables are
 *   read for different minutes (open ones from the slice rows, closed ones from the per-ad rows,
 *   told apart by the markers), so neither waits for the other;
 * - a closing writes every cell of the minute with its value then; where an ad is counted in
 *   several partitions, the last partition to close the minute writes it again, final;
 * - top lists are absolute too and written in round order by the single list stage;
 * - a round reaches the list stage only after both cell stages have written it (and every
 *   earlier round), so a closed-minute marker is written after the minute's final cell values,
 *   which are in the round that closes it or an earlier one;
 * - a snapshot taken at round N describes the input prefix of rounds ≤ N; it is saved only once
 *   no round ≤ N is queued in any stage, i.e. every cell and list of that prefix is written.
 *   A crash before the save replays from the previous snapshot and rewrites the same values.
 */
export class FlushPipeline {
  readonly #stages: FlushStages;
  /** Rounds whose changed cells are not written yet. */
  readonly #changedQueue: Round[] = [];
  /** Rounds whose changed cells are written, not yet their closed ones (`cells` let go). */
  readonly #closedQueue: Round[] = [];
  /** Rounds whose cells are all written, not yet their lists and markers (no cells held). */
  readonly #listQueue: Round[] = [];
  #planned = 0;
  /**
   * Rounds at the front of the closed queue whose cells the burst in progress holds. The burst
   * is left out of `pendingRows`: those cells are planned already, and pausing the input while
   * they are written would only stop the changed cells of newer clicks; the heap bound still
   * applies.
   */
  #burstRounds = 0;
  readonly #changed = new SerialRun(() => this.#runChanged());
  readonly #closed = new SerialRun(() => this.#runClosed());
  readonly #lists = new SerialRun(() => this.#runLists());

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
      plan.finalCells.length +
      plan.closed.length +
      plan.topLists.length +
      plan.partitionTopLists.length;
    if (size > 0) this.#changedQueue.push({ seq, plan });
    return seq;
  }

  /** Highest round whose cells and lists, and those of every earlier round, are written. */
  writtenThrough(): number {
    // Rounds move through the queues in order: the list queue holds the oldest.
    const oldest = this.#listQueue[0] ?? this.#closedQueue[0] ?? this.#changedQueue[0];
    return oldest === undefined ? this.#planned : oldest.seq - 1;
  }

  /**
   * Rows queued in any stage: cells not yet written (but the burst in progress), and top-list
   * and marker rows of rounds whose lists are not yet written (what backpressure bounds).
   */
  pendingRows(): number {
    let rows = 0;
    for (const r of this.#changedQueue) rows += listRows(r.plan) + r.plan.cells.length + closedSize(r.plan);
    for (const [i, r] of this.#closedQueue.entries())
      rows += listRows(r.plan) + (i >= this.#burstRounds ? closedSize(r.plan) : 0);
    for (const r of this.#listQueue) rows += listRows(r.plan);
    return rows;
  }

  /** Whether a queued round carries top lists (ranking more now would only queue behind them). */
  hasRankedPending(): boolean {
    const ranked = (r: Round) => r.plan.topLists.length > 0 || r.plan.partitionTopLists.length > 0;
    return [this.#changedQueue, this.#closedQueue, this.#listQueue].some((q) => q.some(ranked));
  }

  /** Starts the stages that are idle (a failed stage retries here). */
  kick(): void {
    for (const stage of [this.#changed, this.#closed, this.#lists]) stage.pump().catch(() => undefined);
  }

  /** Runs the stages until round `seq` and its snapshots are written; rejects on a failure. */
  async drain(seq: number): Promise<void> {
    while (this.writtenThrough() < seq || this.#stages.snapshotsDue(seq)) {
      await this.#changed.pump();
      await this.#closed.pump();
      await this.#lists.pump();
    }
  }

  /** Resolves when the writes in progress have ended (successfully or not). */
  async settled(): Promise<void> {
    for (const stage of [this.#changed, this.#closed, this.#lists]) await stage.settled();
  }

  async #runChanged(): Promise<void> {
    try {
      for (;;) {
        this.#stages.takeDue();
        const rounds = this.#changedQueue.slice();
        if (rounds.length === 0) return;
        // Only the changed cells: the closed stage merges the closed ones when it takes the rounds.
        const { changed } = mergeCells(rounds.map((r) => ({ ...r.plan, closedCells: [] })));
        if (changed.length > 0) await this.#stages.writeCells({ changed, closed: [] });
        this.#changedQueue.splice(0, rounds.length);
        // The later stages need no changed cells: let them go now.
        for (const r of rounds) this.#closedQueue.push({ seq: r.seq, plan: { ...r.plan, cells: [] } });
        this.#closed.pump().catch(() => undefined);
      }
    } catch (error) {
      this.#stages.failed('cells', error);
      throw error;
    }
  }

  /**
   * Writes the closed cells of the queued rounds in chunks: the summed ones (`closedCells`,
   * merged to the newest value of each), then the final ones, read as they are written. A failed
   * write leaves every round of the burst queued: the retry writes them all again.
   */
  async #runClosed(): Promise<void> {
    try {
      for (;;) {
        const rounds = this.#closedQueue.slice();
        if (rounds.length === 0) return;
        this.#burstRounds = rounds.length;
        const { closed, final } = mergeCells(rounds.map((r) => r.plan));
        for (let next = 0; next < closed.length; next += CLOSED_CHUNK_CELLS)
          await this.#stages.writeCells({
            changed: [],
            closed: closed.slice(next, next + CLOSED_CHUNK_CELLS),
          });
        const reader = new FinalCellsReader();
        reader.add(final);
        while (reader.remaining > 0)
          await this.#stages.writeCells({ changed: [], closed: reader.take(CLOSED_CHUNK_CELLS) });
        this.#closedQueue.splice(0, rounds.length);
        this.#burstRounds = 0;
        for (const r of rounds)
          this.#listQueue.push({ seq: r.seq, plan: { ...r.plan, closedCells: [], finalCells: [] } });
        this.#lists.pump().catch(() => undefined);
      }
    } catch (error) {
      this.#stages.failed('closed', error);
      throw error;
    } finally {
      // A failed burst leaves its rounds queued, counted again until the retry takes them.
      this.#burstRounds = 0;
    }
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
    }
  }
}

/**
 * One asynchronous loop that runs at most once at a time: `pump` starts it, or, while it runs,
 * makes it run once more when it ends (so work queued during a run is never left waiting).
 */
class SerialRun {
  readonly #body: () => Promise<void>;
  #active = false;
  #again = false;
  #run: Promise<void> = Promise.resolve();

  constructor(body: () => Promise<void>) {
    this.#body = body;
  }

  pump(): Promise<void> {
    if (this.#active) this.#again = true;
    else {
      this.#active = true;
      this.#run = this.#loop();
    }
    return this.#run;
  }

  async settled(): Promise<void> {
    await this.#run.catch(() => undefined);
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#body();
      } while (this.#again);
    } finally {
      // Cleared in the loop's last synchronous step: a pump right after starts a new run.
      this.#active = false;
    }
  }
}

function closedSize(plan: FlushPlan): number {
  return plan.closedCells.length + finalSize(plan);
}

function finalSize(plan: FlushPlan): number {
  let size = 0;
  for (const m of plan.finalCells) size += m.size;
  return size;
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

/** Merged cells of several rounds, with the final cells of their closed minutes still unread. */
export interface MergedRounds extends MergedCells {
  /** `FlushPlan.finalCells` of every round, oldest first (final: nothing merges into them). */
  final: MinuteCells[];
}

/**
 * Cells of several rounds, oldest first, as one write, each with its newest value: the cells
 * changed in any round, and every cell of a minute any round closed. The newest value is right
 * for both tables: a cell changed after one partition closed its minute (an ad counted in two
 * partitions) is written to the per-ad table again, with its final value, when the other
 * partition closes the minute.
 */
export function mergeCells(plans: readonly FlushPlan[]): MergedRounds {
  const final = plans.flatMap((p) => p.finalCells);
  if (plans.length === 1) return { changed: plans[0]!.cells, closed: plans[0]!.closedCells, final };
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
  const out: MergedRounds = { changed: [], closed: [], final };
  for (const { cell, changed, closed } of cells.values()) {
    if (changed) out.changed.push(cell);
    if (closed) out.closed.push(cell);
  }
  return out;
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
    finalCells: [],
    closed,
    topLists: [...lists.values()],
    partitionTopLists: [...local.values()],
  };
}
