import { type Client, types } from 'cassandra-driver';
import { translateCassandraError } from '../../shared/cassandra/errors.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';

/** A saved partition snapshot: the next offset and the encoded state at that offset. */
export interface StoredSnapshot {
  partition: number;
  topic: string;
  offset: string;
  state: Buffer;
}

/** Where the speed layer keeps its per-partition snapshots (port). */
export interface SnapshotStore {
  load(group: string, partition: number): Promise<StoredSnapshot | undefined>;
  save(group: string, snapshots: readonly StoredSnapshot[]): Promise<void>;
}

const Q = {
  load: 'SELECT topic, offset, state FROM speed_snapshots WHERE consumer_group = ? AND partition = ?',
  save: 'INSERT INTO speed_snapshots (consumer_group, partition, topic, offset, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
} as const;

/** `SnapshotStore` in the `speed_snapshots` table (migration 010), on a connected client. */
export class CassandraSnapshotStore implements SnapshotStore {
  readonly #client: Client;

  constructor(client: Client) {
    this.#client = client;
  }

  async load(group: string, partition: number): Promise<StoredSnapshot | undefined> {
    try {
      const rs = await this.#client.execute(Q.load, [group, partition], { prepare: true });
      const row = rs.first();
      if (row === null) return undefined;
      if (row.state === null || row.offset === null) {
        throw new AdclickError(ErrorCodes.INTERNAL, `speed snapshot of ${group}/${partition} has no state`);
      }
      return {
        partition,
        topic: row.topic as string,
        offset: (row.offset as types.Long).toString(),
        state: row.state as Buffer,
      };
    } catch (error) {
      throw error instanceof AdclickError
        ? error
        : translateCassandraError(error, { operation: 'load of a speed snapshot' });
    }
  }

  async save(group: string, snapshots: readonly StoredSnapshot[]): Promise<void> {
    const now = new Date();
    try {
      await Promise.all(
        snapshots.map((s) =>
          this.#client.execute(
            Q.save,
            [group, s.partition, s.topic, types.Long.fromString(s.offset), s.state, now],
            { prepare: true },
          ),
        ),
      );
    } catch (error) {
      throw translateCassandraError(error, { operation: 'save of speed snapshots' });
    }
  }
}
