import { type Client, types } from 'cassandra-driver';
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
}

const Q = {
  load: 'SELECT topic, offset, state, epoch FROM speed_snapshots WHERE consumer_group = ? AND partition = ?',
  epoch: 'SELECT epoch FROM speed_snapshots WHERE consumer_group = ? AND partition = ?',
  claimNew: 'INSERT INTO speed_snapshots (consumer_group, partition, epoch) VALUES (?, ?, ?) IF NOT EXISTS',
  claim: 'UPDATE speed_snapshots SET epoch = ? WHERE consumer_group = ? AND partition = ? IF epoch = ?',
  save: 'UPDATE speed_snapshots SET topic = ?, offset = ?, state = ?, updated_at = ? WHERE consumer_group = ? AND partition = ? IF epoch = ?',
} as const;

/** Claims lost to a concurrent claimer before giving up (each retry reads the new epoch). */
const CLAIM_ATTEMPTS = 10;

/**
 * `SnapshotStore` in the `speed_snapshots` table (migrations 010 and 013), on a connected client.
 * Claims and saves are lightweight transactions on `epoch` (fencing); loads are plain reads.
 */
export class CassandraSnapshotStore implements SnapshotStore {
  readonly #client: Client;

  constructor(client: Client) {
    this.#client = client;
  }

  async load(group: string, partition: number): Promise<StoredSnapshot | undefined> {
    try {
      const rs = await this.#client.execute(Q.load, [group, partition], { prepare: true });
      const row = rs.first();
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
          const rs = await this.#client.execute(
            Q.save,
            [
              s.topic,
              types.Long.fromString(s.offset),
              s.state,
              now,
              group,
              s.partition,
              types.Long.fromNumber(s.epoch),
            ],
            { prepare: true },
          );
          return rs.wasApplied();
        }),
      );
      return snapshots.filter((_, i) => !applied[i]).map((s) => s.partition);
    } catch (error) {
      throw translateCassandraError(error, { operation: 'save of speed snapshots' });
    }
  }
}
