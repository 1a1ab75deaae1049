/**
^ * `npm run bench:speed` is the full benchmark; this one isolates the speed layer's
 * write path without Kafka: generated clicks go straight into the aggregate node in chunks of one
 * flush interval's worth, and each flush's phases are timed (aggregate, plan, snapshot encoding,
 * cells, top lists, snapshots) against a fresh Cassandra keyspace. Useful to compare write-path
 * changes on a shared, noisy machine, where the Kafka-to-Cassandra run varies too much.
 *
 *   npx tsx bench/speed/bench-write-path.ts --clicks=200000 --ads=2000000 --per-flush=25000
 */
import { CassandraSpeedViewStore } from '../../shared/aggregate-store/cassandra-speed-view-store.ts';
import { definitionFrom } from '../../shared/aggregation/definition.ts';
import { MINUTE_MS } from '../../shared/aggregation/time.ts';
import { createTestKeyspace } from '../../shared/cassandra/testing.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { generateClicks } from '../../shared/generator/generator.ts';
import { createLogger } from '../../shared/logger/logger.ts';
import { CassandraSnapshotStore } from '../../speed-layer/aggregate/cassandra-snapshot-store.ts';
import { PartitionStates } from '../../speed-layer/aggregate/partition-states.ts';
import { encodeSnapshot } from '../../speed-layer/aggregate/snapshot-codec.ts';
import { FinalCellsReader } from '../../speed-layer/flush/final-cells-reader.ts';
import { CassandraGlobalTopLists } from '../../speed-layer/reduce/cassandra-global-top-lists.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const CLICKS = Number(args.get('clicks') ?? 200_000);
const ADS = Number(args.get('ads') ?? 2_000_000);
const PARTITIONS = Number(args.get('partitions') ?? 12);
const PER_FLUSH = Number(args.get('per-flush') ?? 25_000);
/** `--lists-every=<n>`: top lists ranked and snapshots taken at every n-th flush only (as topListIntervalMs). */
const LISTS_EVERY = Number(args.get('lists-every') ?? 1);
/** `--slice-batch=<rows>`, `--ad-batch=<rows>`, `--concurrency=<n>`: the speed view store's write tuning. */
const tuning = {
  ...(args.has('slice-batch') ? { sliceBatchRows: Number(args.get('slice-batch')) } : {}),
  ...(args.has('ad-batch') ? { adBatchRows: Number(args.get('ad-batch')) } : {}),
  ...(args.has('concurrency') ? { concurrency: Number(args.get('concurrency')) } : {}),
};

const config = loadConfig(process.env);
const logger = createLogger({ level: 'warn' });
const definition = definitionFrom(config);
const phases = { aggregate: 0, plan: 0, encode: 0, cells: 0, topLists: 0, closed: 0, snapshots: 0 };
const counts = { cells: 0, partitionTopLists: 0, closed: 0, snapshotBytes: 0, flushes: 0 };

async function main(): Promise<void> {
  const keyspace = await createTestKeyspace({ config, prefix: 'bench_write' });
  const ksConfig = { ...config, cassandra: { ...config.cassandra, keyspace: keyspace.keyspace } };
  const store = new CassandraSpeedViewStore(ksConfig, logger, tuning);
  await store.start();
  const tops = new CassandraGlobalTopLists(keyspace.client, definition.topN);
  const snapshots = new CassandraSnapshotStore(keyspace.client);
  const states = new PartitionStates({
    definition,
    allowedLatenessMs: 15_000,
    idleTimeoutMs: 3_600_000,
    retainMs: (Math.max(...definition.windowsMinutes) + 10) * MINUTE_MS,
  });
  const time = async <T>(phase: keyof typeof phases, fn: () => T | Promise<T>): Promise<T> => {
    const t = performance.now();
    const out = await fn();
    phases[phase] += performance.now() - t;
    return out;
  };
  const stream = generateClicks({
    seed: 42,
    clicks: CLICKS,
    startMs: Date.now() - 10 * 60_000,
    ads: ADS,
    clicksPerSecond: Math.max(1, Math.round(CLICKS / 600)),
    malformedFraction: 0,
    partitions: PARTITIONS,
  });
  const records = [...stream].filter((r) => r.event !== undefined);
  for (let p = 0; p < PARTITIONS; p++) await snapshots.claim('bench', p);
  const started = performance.now();
  try {
    for (let i = 0; i < records.length; i += PER_FLUSH) {
      const chunk = records.slice(i, i + PER_FLUSH);
      await time('aggregate', () => {
        for (const [k, r] of chunk.entries()) {
          const state = states.get(r.partition);
          state.add(r.event!);
          state.nextOffset = String(i + k + 1);
        }
      });
      const lists = (counts.flushes + 1) % LISTS_EVERY === 0 || i + PER_FLUSH >= records.length;
      const plan = await time('plan', () =>
        states.plan(Date.now(), { perPartition: true, deferTopLists: !lists }),
      );
      const encoded = await time('encode', () =>
        (lists ? states.partitions() : []).map((p) => ({
          partition: p,
          topic: 'bench',
          offset: states.get(p).nextOffset,
          state: encodeSnapshot(states.get(p).snapshot()),
          epoch: 1,
        })),
      );
      const final = new FinalCellsReader();
      final.add(plan.finalCells);
      const closed = plan.closedCells.concat(final.take(final.remaining));
      await time('cells', () => store.upsertCells({ changed: plan.cells, closed }));
      await time('topLists', () => tops.publish(plan.partitionTopLists));
      await time('closed', () => store.markMinutesClosed(plan.closed));
      await time('snapshots', () => snapshots.save('bench', encoded));
      counts.cells += plan.cells.length;
      counts.partitionTopLists += plan.partitionTopLists.length;
      counts.closed += plan.closed.length;
      counts.snapshotBytes += encoded.reduce((s, e) => s + e.state.byteLength, 0);
      counts.flushes++;
    }
    const seconds = (performance.now() - started) / 1000;
    const report = {
      clicks: records.length,
      ads: ADS,
      perFlush: PER_FLUSH,
      listsEvery: LISTS_EVERY,
      tuning,
      clicksPerSecond: Math.round(records.length / seconds),
      seconds: Number(seconds.toFixed(1)),
      phasesSeconds: Object.fromEntries(
        Object.entries(phases).map(([k, v]) => [k, Number((v / 1000).toFixed(2))]),
      ),
      ...counts,
      rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024),
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await store.close();
    await keyspace.drop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
