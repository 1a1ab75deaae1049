import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createTestKeyspace } from '../../../../shared/cassandra/testing.ts';
import {
  CassandraSnapshotStore,
  type StoredSnapshot,
} from '../../../../speed-layer/aggregate/cassandra-snapshot-store.ts';
import { requireCassandra, testConfig } from '../../../helpers/services.ts';

function snapshot(partition: number, offset: string, epoch: number, text: string): StoredSnapshot {
  return { partition, topic: 't', offset, state: Buffer.from(text), epoch };
}

describe('CassandraSnapshotStore fencing', () => {
  beforeAll(() => requireCassandra());

  it('refuses saves of an owner whose claim was superseded, and keeps the newer snapshot', async () => {
    const ks = await createTestKeyspace({
      config: testConfig(),
      prefix: 'speed_fence',
      registerCleanup: onTestFinished,
    });
    const store = new CassandraSnapshotStore(ks.client);
    const oldOwner = await store.claim('g', 0);
    expect(oldOwner).toBe(1);
    // Claimed but never saved: no snapshot to restore.
    expect(await store.load('g', 0)).toBeUndefined();
    expect(await store.save('g', [snapshot(0, '10', oldOwner, 'old-10')])).toEqual([]);

    // A rebalance: the new owner claims, then loads what the old owner saved.
    const newOwner = await store.claim('g', 0);
    expect(newOwner).toBe(2);
    expect((await store.load('g', 0))?.state.toString()).toBe('old-10');
    expect(await store.save('g', [snapshot(0, '25', newOwner, 'new-25')])).toEqual([]);

    // The old owner's late flush (an older prefix) is refused; another partition's save is not.
    await store.claim('g', 1);
    expect(
      await store.save('g', [snapshot(0, '12', oldOwner, 'old-12'), snapshot(1, '7', 1, 'p1-7')]),
    ).toEqual([0]);
    expect(await store.load('g', 0)).toMatchObject({ offset: '25', state: Buffer.from('new-25'), epoch: 2 });
    expect(await store.load('g', 1)).toMatchObject({ offset: '7', epoch: 1 });

    // States live in their own rows, not in the claim row that Paxos guards; a third owner's
    // first save deletes the rows of owners before the previous one.
    const claimRow = await ks.client.execute(
      'SELECT state, offset FROM speed_snapshots WHERE consumer_group = ? AND partition = ?',
      ['g', 0],
    );
    expect(claimRow.first().get('state')).toBeNull();
    expect(String(claimRow.first().get('offset'))).toBe('25');
    const third = await store.claim('g', 0);
    expect(await store.save('g', [snapshot(0, '31', third, 'third-31')])).toEqual([]);
    const epochs = await ks.client.execute(
      'SELECT epoch FROM speed_snapshot_states WHERE consumer_group = ? AND partition = ?',
      ['g', 0],
    );
    expect(epochs.rows.map((r) => Number(r.get('epoch')))).toEqual([3, 2]);
    expect((await store.load('g', 0))?.state.toString()).toBe('third-31');
  });

  it('claims a row saved before epochs existed (null epoch) and concurrent claims get distinct epochs', async () => {
    const ks = await createTestKeyspace({
      config: testConfig(),
      prefix: 'speed_fence',
      registerCleanup: onTestFinished,
    });
    await ks.client.execute(
      'INSERT INTO speed_snapshots (consumer_group, partition, topic, offset, state) VALUES (?, ?, ?, ?, ?)',
      ['g', 3, 't', 40, Buffer.from('legacy')],
      { prepare: true },
    );
    const store = new CassandraSnapshotStore(ks.client);
    expect(await store.claim('g', 3)).toBe(1);
    expect((await store.load('g', 3))?.offset).toBe('40');
    const epochs = await Promise.all([store.claim('g', 3), store.claim('g', 3), store.claim('g', 3)]);
    expect(new Set(epochs).size).toBe(3);
    expect(Math.max(...epochs)).toBe(4);
  });

  it('stores closed minutes once before the state, keyed by epoch, and deletes those no state needs', async () => {
    const ks = await createTestKeyspace({
      config: testConfig(),
      prefix: 'speed_minutes',
      registerCleanup: onTestFinished,
    });
    const store = new CassandraSnapshotStore(ks.client);
    const m = (i: number) => Date.UTC(2026, 0, 1, 12, i);
    const first = await store.claim('g', 0);
    const minutes = [0, 1, 2].map((i) => ({ minute: m(i), counts: Buffer.from(`m${i}-e1`) }));
    expect(await store.save('g', [{ ...snapshot(0, '10', first, 's1'), minutes, keepFrom: m(0) }])).toEqual(
      [],
    );
    const loaded = await store.loadMinutes('g', 0, [
      { minute: m(0), epoch: first },
      { minute: m(2), epoch: first },
    ]);
    expect([...loaded].map(([k, v]) => [k, v.toString()])).toEqual(
      expect.arrayContaining([
        [m(0), 'm0-e1'],
        [m(2), 'm2-e1'],
      ]),
    );
    expect(loaded.size).toBe(2);

    // A new owner stores its own minutes under its epoch: the old owner's rows stay as they are.
    const second = await store.claim('g', 0);
    const newer = [{ minute: m(2), counts: Buffer.from('m2-e2') }];
    expect(
      await store.save('g', [{ ...snapshot(0, '20', second, 's2'), minutes: newer, keepFrom: m(1) }]),
    ).toEqual([]);
    expect((await store.loadMinutes('g', 0, [{ minute: m(2), epoch: first }])).get(m(2))?.toString()).toBe(
      'm2-e1',
    );
    expect((await store.loadMinutes('g', 0, [{ minute: m(2), epoch: second }])).get(m(2))?.toString()).toBe(
      'm2-e2',
    );
    // Minutes before the saved state's oldest are gone; a state referring to one is an error.
    await expect(store.loadMinutes('g', 0, [{ minute: m(0), epoch: first }])).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    // A superseded owner's save writes nothing the new owner's state refers to.
    const stale = [{ minute: m(1), counts: Buffer.from('stale') }];
    expect(await store.save('g', [{ ...snapshot(0, '15', first, 'old'), minutes: stale }])).toEqual([0]);
    expect((await store.loadMinutes('g', 0, [{ minute: m(1), epoch: first }])).get(m(1))?.toString()).toBe(
      'stale',
    );
    expect((await store.load('g', 0))?.state.toString()).toBe('s2');
  });
});
