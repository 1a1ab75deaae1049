import type { Admin } from 'kafkajs';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { Logger } from '../../shared/logger/logger.ts';
import type { SpeedMetrics } from '../metrics/speed-metrics.ts';
import type { SnapshotStore, StoredSnapshot } from './cassandra-snapshot-store.ts';
import type { PartitionStates } from './partition-states.ts';
import { decodeSnapshot, encodeForSave, storedMinuteRefs, withStoredMinutes } from './snapshot-codec.ts';
import type { PartitionSnapshot } from './state-types.ts';

/** A snapshot taken at flush round `seq`, encoded when its save is due. */
interface PendingSnapshot {
  seq: number;
  snapshot: PartitionSnapshot;
  epoch: number;
  stored?: StoredSnapshot;
}

/** What `PartitionSnapshots` works with. */
export interface PartitionSnapshotsDeps {
  topic: string;
  groupId: string;
  states: PartitionStates;
  snapshots: SnapshotStore;
  /** Admin client of the started consumer (low offsets of partitions without a snapshot). */
  admin: () => Admin;
  metrics: SpeedMetrics;
  logger: Logger;
}

/**
 * The partitions a speed layer process holds, as far as their snapshots go: restoring each on
 * assignment (claim, then load), remembering which ones moved since their last snapshot, taking
 * snapshots at a flush round and saving them once that round is written, and dropping a
 * partition that was revoked or whose snapshot row another process has claimed (fenced).
 */
export class PartitionSnapshots {
  readonly #d: PartitionSnapshotsDeps;
  /** Partition → restore in progress or done (the promise resolves once its state is in place). */
  readonly #loaded = new Map<number, Promise<void>>();
  /** Partitions whose first batch after restore has not been checked against the snapshot offset. */
  readonly #unchecked = new Set<number>();
  readonly #dirty = new Set<number>();
  /** Partition → its newest snapshot not saved yet, and the flush round it was taken at. */
  readonly #pending = new Map<number, PendingSnapshot>();
  readonly #saved = new Map<number, string>();
  /** Partitions of the latest assignment (a restore finishing after a revoke is discarded). */
  #assigned = new Set<number>();
  /** Partition → our claim on its snapshot row (`SnapshotStore.claim`). */
  readonly #epochs = new Map<number, number>();
  /** Partition → its closed minutes stored so far (minute → epoch written under). */
  readonly #storedMinutes = new Map<number, Map<number, number>>();

  constructor(deps: PartitionSnapshotsDeps) {
    this.#d = deps;
  }

  /** Next offset of each partition as of its last saved snapshot (what a restart resumes from). */
  get saved(): ReadonlyMap<number, string> {
    return this.#saved;
  }

  /** Snapshots taken and not saved yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * A new assignment: partitions that left are forgotten (their new owner restores them from
   * their snapshot; ours is stale) and the assigned ones are restored now rather than on their
   * first batch, so the first fetch already seeks right and an idle partition's state (and its
   * closing minutes) is back without waiting for records.
   */
  assign(assigned: ReadonlySet<number>): void {
    this.#assigned = new Set(assigned);
    for (const p of [...this.#loaded.keys()]) {
      if (!assigned.has(p)) this.forget(p);
    }
    for (const p of assigned) {
      this.ensureLoaded(p).catch((error: unknown) =>
        this.#d.logger.warn(
          { err: String(error), partition: p },
          'eager restore failed; retried on first batch',
        ),
      );
    }
  }

  /** Resolves once the partition's state is restored (starting the restore if needed). */
  ensureLoaded(partition: number): Promise<void> {
    let loading = this.#loaded.get(partition);
    if (loading === undefined) {
      loading = this.#restore(partition);
      this.#loaded.set(partition, loading);
      loading.catch(() => this.#loaded.delete(partition));
    }
    return loading;
  }

  /** True once per restore: the first batch must be checked against the snapshot's offset. */
  takeUnchecked(partition: number): boolean {
    return this.#unchecked.delete(partition);
  }

  /** The partition consumed records since its last snapshot. */
  moved(partition: number): void {
    this.#dirty.add(partition);
  }

  /** Takes a snapshot of every partition that moved, to be saved once round `seq` is written. */
  take(seq: number): void {
    for (const p of this.#dirty) {
      if (!this.#d.states.has(p)) continue;
      // A copy: encoded later, off the cell path, while the state moves on.
      const snapshot = this.#d.states.get(p).snapshot(this.#storedMinutes.get(p));
      this.#pending.set(p, { seq, snapshot, epoch: this.#epochs.get(p) ?? 0 });
    }
    this.#dirty.clear();
  }

  /** Whether a snapshot taken at a round ≤ `through` still waits to be saved. */
  due(through: number): boolean {
    for (const s of this.#pending.values()) if (s.seq <= through) return true;
    return false;
  }

  /**
   * Saves the snapshots taken at rounds ≤ `through`; returns those saved (fenced partitions are
   * dropped instead).
   */
  async save(through: number): Promise<StoredSnapshot[]> {
    const started = performance.now();
    const due = [...this.#pending.values()].filter((s) => s.seq <= through);
    for (const s of due) {
      if (s.stored !== undefined) continue;
      const split = await encodeForSave(s.snapshot, s.epoch);
      s.stored = {
        partition: s.snapshot.partition,
        topic: this.#d.topic,
        offset: s.snapshot.nextOffset,
        state: split.state,
        epoch: s.epoch,
        minutes: split.minutes,
        ...(split.keepFrom === undefined ? {} : { keepFrom: split.keepFrom }),
      };
    }
    // A partition revoked or fenced meanwhile has left the map: its snapshot is not ours to save.
    const pending = due.filter((s) => this.#pending.get(s.snapshot.partition) === s);
    if (pending.length === 0) return [];
    const fenced = new Set(
      await this.#d.snapshots.save(
        this.#d.groupId,
        pending.map((s) => s.stored!),
      ),
    );
    this.#d.metrics.snapshotSeconds.observe((performance.now() - started) / 1000);
    for (const p of fenced) {
      // Another process claimed the partition since our restore: its state is newer than ours.
      this.#d.logger.warn(
        { partition: p },
        'snapshot refused: partition claimed by another process; dropping it',
      );
      this.#d.metrics.snapshotsFenced.inc();
      this.forget(p);
    }
    const saved = pending.filter((s) => !fenced.has(s.snapshot.partition)).map((s) => s.stored!);
    for (const s of saved) {
      const entry = this.#pending.get(s.partition);
      if (entry?.stored === s) this.#pending.delete(s.partition);
      this.#saved.set(s.partition, s.offset);
      this.#noteStoredMinutes(s);
      this.#d.metrics.snapshotBytes.set({ partition: String(s.partition) }, s.state.byteLength);
    }
    return saved;
  }

  /** Drops everything about a partition, its state included. */
  forget(partition: number): void {
    this.#loaded.delete(partition);
    this.#unchecked.delete(partition);
    this.#dirty.delete(partition);
    this.#pending.delete(partition);
    this.#epochs.delete(partition);
    this.#storedMinutes.delete(partition);
    this.#d.states.drop(partition);
  }

  /** Minutes a saved snapshot stored are referred to from now on; those before it are gone. */
  #noteStoredMinutes(saved: StoredSnapshot): void {
    let stored = this.#storedMinutes.get(saved.partition);
    if (stored === undefined) {
      stored = new Map();
      this.#storedMinutes.set(saved.partition, stored);
    }
    for (const m of saved.minutes ?? []) stored.set(m.minute, saved.epoch);
    const keepFrom = saved.keepFrom;
    if (keepFrom !== undefined)
      for (const minute of stored.keys()) if (minute < keepFrom) stored.delete(minute);
  }

  async #restore(partition: number): Promise<void> {
    const { groupId, topic, states } = this.#d;
    // Claim first, then load: a previous owner's later saves are refused, so what we load is final.
    const epoch = await this.#d.snapshots.claim(groupId, partition);
    const stored = await this.#d.snapshots.load(groupId, partition);
    if (!this.#assigned.has(partition)) return;
    this.#epochs.set(partition, epoch);
    if (stored !== undefined) {
      if (stored.topic !== topic) {
        throw new AdclickError(
          ErrorCodes.CONFIG_INVALID,
          `consumer group ${groupId} has snapshots of topic ${stored.topic}, not ${topic}: use another group`,
        );
      }
      const decoded = decodeSnapshot(stored.state);
      const refs = storedMinuteRefs(decoded);
      const snapshot = withStoredMinutes(
        decoded,
        await this.#d.snapshots.loadMinutes(groupId, partition, refs),
      );
      if (!this.#assigned.has(partition)) return;
      states.restore({ ...snapshot, partition, nextOffset: stored.offset });
      this.#storedMinutes.set(partition, new Map(refs.map((r) => [r.minute, r.epoch])));
      this.#saved.set(partition, stored.offset);
    } else {
      // No snapshot: start from the earliest record still in the log.
      const offsets = await this.#d.admin().fetchTopicOffsets(topic);
      const low = offsets.find((o) => o.partition === partition)?.low ?? '0';
      if (!this.#assigned.has(partition)) return;
      states.drop(partition);
      states.get(partition).nextOffset = low;
    }
    this.#unchecked.add(partition);
    this.#d.logger.info(
      { partition, offset: states.get(partition).nextOffset, fromSnapshot: stored !== undefined },
      'partition restored',
    );
  }
}
