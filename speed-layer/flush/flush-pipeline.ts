import type { ClosedMinute, MinuteCount, TopList } from '../../shared/aggregate-store/types.ts';
import type { FlushPlan } from '../aggregate/partition-states.ts';
import type { PartitionTopList } from '../reduce/types.ts';

/** Where the pipeline writes, and what it asks of its owner (the speed layer). */
export interface FlushStages {
  /** Takes a plan if one is due (pushing it with `push`); called before each cell write. */
  takeDue(): void;
  /** Upserts cells (absolute values). */
  writeCells(cells: MinuteCount[]): Promise<void>;
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
 * - cell stage: writes the cells of every queued round (merged, the newest value of a cell wins),
 *   then hands the rounds to the list stage;
 * - list stage: writes the rounds' top lists, then their closed-minute markers, then saves the
 *   snapshots of every round whose cells and lists are all written.
 *
 * Why this keeps exactly-once:
 * - cells are absolute-value upserts written in round order (a round waits in the queue until its
 *   write succeeds and later rounds are merged into the same retry), so the view never steps back;
 *   writing round N+1's cells before round N's lists changes nothing a restart relies on;
 * - top lists are absolute too and written in round order by the single list stage;
 * - a round reaches the list stage only after its cells (and every earlier round's) are written,
 *   so a closed-minute marker is written after the minute's final cell values, which are in the
 *   round that closes it or an earlier one;
 * - a snapshot taken at round N describes the input prefix of rounds ≤ N; it is saved only once
 *   no round ≤ N is queued in either stage, i.e. every cell and list of that prefix is written.
 *   A crash before the save replays from the previous snapshot and rewrites the same values.
 */
export class FlushPipeline {
  readonly #stages: FlushStages;
  readonly #cellQueue: Round[] = [];
  readonly #listQueue: Round[] = [];
  #planned = 0;
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
      plan.cells.length + plan.closed.length + plan.topLists.length + plan.partitionTopLists.length;
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
    for (const r of this.#cellQueue) rows += r.plan.cells.length + listRows(r.plan);
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
        const rounds = this.#cellQueue.slice();
        if (rounds.length === 0) return;
        await this.#stages.writeCells(mergeCells(rounds.map((r) => r.plan.cells)));
        this.#cellQueue.splice(0, rounds.length);
        // The list stage needs no cells: let them go now rather than after the lists.
        for (const r of rounds) this.#listQueue.push({ seq: r.seq, plan: { ...r.plan, cells: [] } });
        this.#pumpLists().catch(() => undefined);
      }
    } catch (error) {
      this.#stages.failed('cells', error);
      throw error;
    } finally {
      this.#cellsActive = false;
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
    } finally {
      this.#listsActive = false;
    }
  }
}

function listRows(plan: FlushPlan): number {
  return plan.topLists.length + plan.partitionTopLists.length + plan.closed.length;
}

/** Cells of several rounds, oldest first, as one write: the newest value of each cell. */
export function mergeCells(rounds: readonly MinuteCount[][]): MinuteCount[] {
  if (rounds.length === 1) return rounds[0]!;
  const cells = new Map<string, MinuteCount>();
  for (const round of rounds) {
    for (const c of round) cells.set(`${c.minute}\n${c.slice}\n${c.adId}`, c);
  }
  return [...cells.values()];
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
  return { cells: [], closed, topLists: [...lists.values()], partitionTopLists: [...local.values()] };
}
