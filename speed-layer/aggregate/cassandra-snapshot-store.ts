import { type Client, types } from 'cassandra-driver';
import { mapLimit } from '../../shared/async/map-limit.ts';
import { translateCassandraError } from '../../shared/cassandra/errors.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';

/** A saved partition snapshot: the next offset and the encoded state at that offset. */
export interface StoredSnapshot {
  partition: number;
  topic: string;
  offset: string;
  state: Buffer;
  /** The saver's claim on the partition (`SnapshotStore.claim`); ignored by `load`. */
  epoch: number;
  /** Closed minutes the state refers to that are not stored yet: written first, under `epoch`. */
  minutes?: ReadonlyArray<{ minute: number; counts: Buffer }>;
  /**
   * The oldest minute the state refers to: once it is saved, stored minutes before it are never
   * read again and are deleted.
   */
  keepFrom?: number;
}

/** A stored closed minute: the minute and the epoch it was written under. */
export interface StoredMinuteRef {
  minute: number;
  epoch: number;
}

/** Where the speed layer keeps its per-partition snapshots (port). */
export interface SnapshotStore {
  load(group: string, partition: number): Promise<StoredSnapshot | undefined>;
  /**
   * Takes ownership of a partition's snapshot row before loading it: returns a new epoch, higher
   * than every earlier claim, and from then on saves made with an older epoch are refused.
   */
  claim(group: string, partition: number): Promise<number>;
  /** @returns partitions whose save was refused because another process claimed them since. */
  save(group: string, snapshots: readonly StoredSnapshot[]): Promise<number[]>;
  /**
   * The cells of stored closed minutes (as `StoredSnapshot.minutes` gave them), by minute.
   * @throws AdclickError `INTERNAL` when one is missing (the state refers to it: never deleted)
   */
  loadMinutes(
    group: string,
    partition: number,
    refs: readonly StoredMinuteRef[],
  ): Promise<Map<number, Buffer>>;
}

const Q = {
  loadState:
    'SELECT topic, offset, state, epoch FROM speed_snapshot_states WHERE consumer_group = ? AND partition = ? LIMIT 1',
  loadLegacy:
    'SELECT topic, offset, state, epoch FROM speed_snapshots WHERE consumer_group = ? AND partition = ?',
  epoch: 'SELECT epoch FROM speed_snapshots WHERE consumer_group = ? AND partition = ?',
  claimNew: 'INSERT INTO speed_snapshots (consumer_group, partition, epoch) VALUES (?, ?, ?) IF NOT EXISTS',
  claim: 'UPDATE speed_snapshots SET epoch = ? WHERE consumer_group = ? AND partition = ? IF epoch = ?',
  check:
    'UPDATE speed_snapshots SET topic = ?, offset = ?, updated_at = ? WHERE consumer_group = ? AND partition = ? IF epoch = ?',
  saveState:
    'INSERT INTO speed_snapshot_states (consumer_group, partition, epoch, topic, offset, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  dropOlder: 'DELETE FROM speed_snapshot_states WHERE consumer_group = ? AND partition = ? AND epoch < ?',
  saveMinute:
    'INSERT INTO speed_snapshot_minutes (consumer_group, partition, minute, epoch, counts) VALUES (?, ?, ?, ?, ?)',
  loadMinute:
    'SELECT counts FROM speed_snapshot_minutes WHERE consumer_group = ? AND partition = ? AND minute = ? AND epoch = ?',
  dropMinutes: 'DELETE FROM speed_snapshot_minutes WHERE consumer_group = ? AND partition = ? AND minute < ?',
} as const;

/** Stored minutes read at once by a restore. */
const MINUTE_READS = 8;

/** Claims lost to a concurrent claimer before giving up (each retry reads the new epoch). */
const CLAIM_ATTEMPTS = 10;

/**
 * `SnapshotStore` in Cassandra (migrations 010, 013, 015 and 016), on a connected client: claims and the
 * check of every save are lightweight transactions on `epoch` in `speed_snapshots` (fencing); the
 * states themselves are plain writes to `speed_snapshot_states`, one row per owner epoch, and a
 * load reads the newest one. Closed minutes are written once each to `speed_snapshot_minutes`.
 */
export class CassandraSnapshotStore implements SnapshotStore {
  readonly #client: Client;
  /** Epoch whose older rows were last deleted, per `group\npartition`. */
  readonly #pruned = new Map<string, number>();
  /** Minute before which stored minutes were last deleted, per `group\npartition`. */
  readonly #prunedMinutes = new Map<string, number>();

  constructor(client: Client) {
    this.#client = client;
  }

  async load(group: string, partition: number): Promise<StoredSnapshot | undefined> {
    try {
      const rs = await this.#client.execute(Q.loadState, [group, partition], { prepare: true });
      const row =
        rs.first() ??
        // Saved before migration 015: the state is in the claim row itself.
        (await this.#client.execute(Q.loadLegacy, [group, partition], { prepare: true })).first();
      // A claimed row that nobody saved a snapshot into yet.
      if (row === null || (row.state === null && row.offset === null)) return undefined;
      if (row.state === null || row.offset === null) {
        throw new AdclickError(ErrorCodes.INTERNAL, `speed snapshot of ${group}/${partition} has no state`);
      }
      return {
        partition,
        topic: row.topic as string,
        offset: (row.offset as types.Long).toString(),
        state: row.state as Buffer,
        epoch: row.epoch === null ? 0 : Number(row.epoch),
      };
    } catch (error) {
      throw error instanceof AdclickError
        ? error
        : translateCassandraError(error, { operation: 'load of a speed snapshot' });
    }
  }

  async claim(group: string, partition: number): Promise<number> {
    try {
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        const rs = await this.#client.execute(Q.epoch, [group, partition], { prepare: true });
        const row = rs.first();
        if (row === null) {
          const inserted = await this.#client.execute(Q.claimNew, [group, partition, types.Long.ONE], {
            prepare: true,
          });
          if (inserted.wasApplied()) return 1;
          continue;
        }
        const current = row.epoch as types.Long | null;
        const next = current === null ? 1 : Number(current) + 1;
        const updated = await this.#client.execute(
          Q.claim,
          [types.Long.fromNumber(next), group, partition, current],
          { prepare: true },
        );
        if (updated.wasApplied()) return next;
      }
    } catch (error) {
      throw translateCassandraError(error, { operation: 'claim of a speed snapshot' });
    }
    throw new AdclickError(
      ErrorCodes.INTERNAL,
      `could not claim speed snapshot ${group}/${partition}: ${CLAIM_ATTEMPTS} concurrent claims won`,
      { retryable: true },
    );
  }

  async save(group: string, snapshots: readonly StoredSnapshot[]): Promise<number[]> {
    const now = new Date();
    try {
      const applied = await Promise.all(
        snapshots.map(async (s) => {
          const offset = types.Long.fromString(s.offset);
          const epoch = types.Long.fromNumber(s.epoch);
          // Minutes before the state that refers to them; a refused save leaves them unreferenced
          // under the superseded epoch, deleted with the new owner's first prune.
          await mapLimit(s.minutes ?? [], MINUTE_READS, (m) =>
            this.#client.execute(Q.saveMinute, [group, s.partition, new Date(m.minute), epoch, m.counts], {
              prepare: true,
            }),
          );
          // The state in a plain write to this owner's own row, then the claim checked through
          // Paxos with a few bytes: the claim row's offset never runs ahead of a stored state. A
          // refused check leaves a state in the superseded owner's row, which is still a valid
          // point to resume from (and older than the new owner's once that one saves).
          await this.#client.execute(
            Q.saveState,
            [group, s.partition, epoch, s.topic, offset, s.state, now],
            {
              prepare: true,
            },
          );
          const check = await this.#client.execute(
            Q.check,
            [s.topic, offset, now, group, s.partition, epoch],
            {
              prepare: true,
            },
          );
          if (!check.wasApplied()) return false;
          await this.#prune(group, s);
          return true;
        }),
      );
      return snapshots.filter((_, i) => !applied[i]).map((s) => s.partition);
    } catch (error) {
      throw translateCassandraError(error, { operation: 'save of speed snapshots' });
    }
  }

  async loadMinutes(
    group: string,
    partition: number,
    refs: readonly StoredMinuteRef[],
  ): Promise<Map<number, Buffer>> {
    const out = new Map<number, Buffer>();
    try {
      await mapLimit(refs, MINUTE_READS, async (ref) => {
        const rs = await this.#client.execute(
          Q.loadMinute,
          [group, partition, new Date(ref.minute), types.Long.fromNumber(ref.epoch)],
          { prepare: true },
        );
        const counts = rs.first()?.counts as Buffer | null | undefined;
        if (counts == null) {
          throw new AdclickError(
            ErrorCodes.INTERNAL,
            `speed snapshot of ${group}/${partition} refers to minute ${new Date(ref.minute).toISOString()} (epoch ${ref.epoch}), which is not stored`,
          );
        }
        out.set(ref.minute, counts);
      });
    } catch (error) {
      throw error instanceof AdclickError
        ? error
        : translateCassandraError(error, { operation: 'load of speed snapshot minutes' });
    }
    return out;
  }

  /** After a saved state: older owners' state rows (once per epoch) and minutes it no longer needs. */
  async #prune(group: string, s: StoredSnapshot): Promise<void> {
    const key = `${group}\n${s.partition}`;
    if (this.#pruned.get(key) !== s.epoch) {
      // Rows of owners before the previous one are never read again.
      await this.#client.execute(Q.dropOlder, [group, s.partition, types.Long.fromNumber(s.epoch - 1)], {
        prepare: true,
      });
      this.#pruned.set(key, s.epoch);
    }
    if (s.keepFrom !== undefined && (this.#prunedMinutes.get(key) ?? Number.NEGATIVE_INFINITY) < s.keepFrom) {
      await this.#client.execute(Q.dropMinutes, [group, s.partition, new Date(s.keepFrom)], {
        prepare: true,
      });
      this.#prunedMinutes.set(key, s.keepFrom);
    }
  }
}
