/**
 * `npm run bench:speed`: throughput and memory of the speed layer on real Kafka and Cassandra
 * (SPEC C: ≥ 50,000 clicks/s, within 80% of a bare kafkajs consumer's read rate, RSS ≤ 1 GB).
 *
 * 1. produces a book-shaped stream (Zipf-skewed ads, 8 countries, 5% duplicates, 1% late) to a
 *    fresh topic;
 * 2. reads it all with a bare kafkajs `eachBatch` consumer that only counts (the peer), then with
 *    consumers that JSON-parse every record, and that run the map and aggregate nodes in memory
 *    (ceilings: what reading the clicks costs before anything is written);
 * 3. runs `adclick speed` as its own process on a fresh consumer group and keyspace, and times it
 *    from its first partition claim (assignment) to the snapshot at every partition's end offset
 *    (the backlog);
 *    — by default a backlog as dense in event time as the SPEC's peak (50,000 clicks/s), and then
 *    once more, by a second run of this command, a slow stream's backlog (`--replay-clicks` over
 *    ten minutes of event time, where nearly every click is a new cell);
 * 4. then produces a live stream paced by event time (`--live-rate` clicks/s for `--live-seconds`)
 *    with a probe click every `--probe-every` ms, and times each probe from send to readable in
 *    the speed view through the serving layer's reader (freshness p50/p99);
 * sampling the speed process's RSS every second throughout, and writes reports/bench-speed.json
 * and reports/bench-speed.md (fields documented in the md; new fields are only ever added).
 *
 *   npm run bench:speed -- --clicks=3000000 --ads=2000000 --partitions=12 --live-seconds=30
 *   npm run bench:speed -- --clicks=300000 --replay-clicks=0 --live-seconds=15 --out=/tmp/bench
 *   npm run bench:speed -- --clicks=300000 --event-rate=500 --replay-clicks=0 --live-seconds=0
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CassandraSpeedViewStore } from '../../shared/aggregate-store/cassandra-speed-view-store.ts';
import { waitFor } from '../../shared/async/wait-for.ts';
import { createTestKeyspace } from '../../shared/cassandra/testing.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { generateClicks } from '../../shared/generator/generator.ts';
import { createKafka, ensureTopics, kafkaOptionsFrom } from '../../shared/kafka/kafka.ts';
import { KafkaClickPublisher } from '../../shared/kafka/kafka-click-publisher.ts';
import { createLogger } from '../../shared/logger/logger.ts';
import { type FreshnessResult, measureFreshness } from './freshness.ts';
import { measurePeers } from './peers.ts';
import { measureCores } from './process-cpu.ts';
import { type SpeedReport, writeSpeedReport } from './report.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const CLICKS = Number(args.get('clicks') ?? 3_000_000);
const ADS = Number(args.get('ads') ?? 2_000_000);
const PARTITIONS = Number(args.get('partitions') ?? 12);
const TIMEOUT_S = Number(args.get('timeout') ?? 900);
/** `--profile=<dir>`: the speed process writes a V8 CPU profile there (open it in Chrome DevTools). */
const PROFILE_DIR = args.get('profile');
/** `--flush-interval=<ms>`: passed to `adclick speed` (its default otherwise). */
const FLUSH_MS = args.get('flush-interval');
/** Live phase (freshness): seconds (0 skips it), background clicks/s, probe period. */
const LIVE_SECONDS = Number(args.get('live-seconds') ?? 30);
const LIVE_RATE = Number(args.get('live-rate') ?? 5000);
/**
 * `--event-rate=<clicks/s>`: how densely the backlog's event times are packed. By default the
 * backlog spans ten minutes of event time whatever its size (a slow stream replayed: nearly every
 * click is a new cell); at the SPEC's peak of 50,000/s a minute holds 3M clicks and far fewer
 * cells per click.
 */
const EVENT_RATE = Number(args.get('event-rate') ?? 50_000);
/**
 * `--replay-clicks=<n>` (0 skips): afterwards, the backlog measure again (this command run once
 * more, without its live phase) on n clicks spread over ten minutes of event time.
 */
const REPLAY_CLICKS = Number(args.get('replay-clicks') ?? 500_000);
const PROBE_EVERY_MS = Number(args.get('probe-every') ?? 200);
const root = join(import.meta.dirname, '..', '..');
/** `--out=<dir>`: where the JSON and Markdown reports go (default reports/; small runs elsewhere). */
const OUT_DIR = args.get('out') ?? join(root, 'reports');

const base = loadConfig(process.env);
const logger = createLogger({ level: 'warn' });
const id = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const topic = `bench-speed-${id}`;
const dlqTopic = `${topic}-dlq`;
const kafka = createKafka(kafkaOptionsFrom(base, { clientId: 'adclick-bench' }), logger);

function log(line: string): void {
  process.stderr.write(`bench:speed ${line}\n`);
}

/** Where the speed process spent its backlog, from its own /metrics (address from its output). */
async function stageTimes(output: readonly string[]): Promise<string> {
  const url = /metrics on (http:\/\/\S+\/metrics)/.exec(output.join(''))?.[1];
  if (url === undefined) return 'unknown (no metrics address in its output)';
  try {
    const text = await (await fetch(url)).text();
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:{[^}]*})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const sec = (name: string) => `${value(`adclick_speed_${name}_sum`).toFixed(1)} s`;
    return [
      `cell writes ${sec('flush_seconds')} (${value('adclick_speed_flush_seconds_count')} writes, ${value('adclick_speed_cells_written_total')} cells)`,
      `top lists + markers ${sec('top_lists_seconds')}`,
      `planning ${sec('plan_seconds')}`,
      `snapshots ${sec('snapshot_seconds')}`,
      `backpressure pauses ${value('adclick_speed_backpressure_pauses_total')}`,
    ].join(', ');
  } catch (error) {
    return `unknown (${String(error)})`;
  }
}

async function produceStream(): Promise<{ records: number; seconds: number; ends: Map<number, number> }> {
  const publisher = new KafkaClickPublisher(kafka, logger, { maxPendingBytes: 256 * 1024 * 1024 });
  await publisher.start();
  const ends = new Map<number, number>();
  const started = performance.now();
  let records = 0;
  let batch: Array<{ key: string | null; value: string; partition: number }> = [];
  const flush = async () => {
    await publisher.publish(topic, batch);
    batch = [];
  };
  // Event time ends about now, so the stream is replayed, not scheduled in the future.
  const stream = generateClicks({
    seed: 42,
    clicks: CLICKS,
    startMs: Date.now() - Math.ceil(CLICKS / EVENT_RATE) * 1000,
    ads: ADS,
    countries: ['US', 'KR', 'DE', 'JP', 'GB', 'FR', 'BR', 'IN'],
    clicksPerSecond: EVENT_RATE,
    duplicateFraction: 0.05,
    lateFraction: 0.01,
    malformedFraction: 0.001,
    partitions: PARTITIONS,
  });
  for (const r of stream) {
    batch.push({ key: r.key, value: r.value, partition: r.partition });
    ends.set(r.partition, (ends.get(r.partition) ?? 0) + 1);
    records++;
    if (batch.length === 5000) await flush();
    if (records % 200_000 === 0) log(`produced ${records}`);
  }
  if (batch.length > 0) await flush();
  await publisher.close();
  return { records, seconds: (performance.now() - started) / 1000, ends };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** This command once more on a slow stream's backlog (no live phase, no replay of its own). */
async function replayRun(): Promise<SpeedReport['replay']> {
  const out = join(tmpdir(), `adclick-bench-speed-replay-${id}`);
  const rate = Math.max(1, Math.round(REPLAY_CLICKS / 600));
  log(`replay: ${REPLAY_CLICKS} clicks at ${rate} clicks/s of event time`);
  const passOn = [...args].filter(([k]) => ['ads', 'partitions', 'timeout', 'flush-interval'].includes(k));
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        import.meta.filename,
        `--clicks=${REPLAY_CLICKS}`,
        `--event-rate=${rate}`,
        '--replay-clicks=0',
        '--live-seconds=0',
        `--out=${out}`,
        ...passOn.map(([k, v]) => `--${k}=${v}`),
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`the replay run failed (exit ${code})`);
  const r = JSON.parse(readFileSync(join(out, 'bench-speed.json'), 'utf8')) as SpeedReport;
  rmSync(out, { recursive: true, force: true });
  return {
    clicks: r.clicks,
    records: r.records,
    eventRate: rate,
    speedLayerRecordsPerSecond: r.speedLayerRecordsPerSecond,
    speedLayerVsBare: r.speedLayerVsBare,
    speedLayerPeakRssMb: r.speedLayerPeakRssMb,
  };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function main(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { topic, numPartitions: PARTITIONS },
    { topic: dlqTopic, numPartitions: 1 },
  ]);
  const keyspace = await createTestKeyspace({ config: base, prefix: 'bench_speed' });
  let child: ChildProcess | undefined;
  try {
    log(`producing ${CLICKS} clicks over ${ADS} ads to ${PARTITIONS} partitions`);
    const produced = await produceStream();
    log(`produced ${produced.records} records in ${produced.seconds.toFixed(1)} s`);
    const peers = await measurePeers(
      kafka,
      base,
      topic,
      PARTITIONS,
      `bench-peer-${id}`,
      produced.records,
      TIMEOUT_S * 1000,
    );
    const bareRate = peers.bare;
    log(
      `kafkajs consumers: bare ${bareRate.toFixed(0)} records/s, JSON.parse only ${peers.parse.toFixed(0)}, map + aggregate in memory ${peers.mapAggregate.toFixed(0)}`,
    );

    const group = `bench-speed-${id}`;
    const output: string[] = [];
    child = spawn(
      process.execPath,
      [
        ...(PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`]),
        '--import',
        'tsx',
        join(root, 'cli', 'main.ts'),
        'speed',
        '--group',
        group,
        '--metrics-port',
        '0',
        ...(FLUSH_MS === undefined ? [] : ['--flush-interval', FLUSH_MS]),
      ],
      {
        env: {
          ...process.env,
          KAFKA_TOPIC: topic,
          KAFKA_DLQ_TOPIC: dlqTopic,
          CASSANDRA_KEYSPACE: keyspace.keyspace,
          IDLE_TIMEOUT_MS: '3600000',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
    const pid = child.pid!;
    const snapshotRows = async () =>
      (
        await keyspace.client.execute(
          'SELECT partition, offset FROM speed_snapshots WHERE consumer_group = ?',
          [group],
          { prepare: true },
        )
      ).rows;
    const offsets = async () => {
      const rs = { rows: await snapshotRows() };
      // A row claimed by a restore that has not saved a snapshot yet has no offset.
      return new Map(
        rs.rows.filter((r) => r.offset !== null).map((r) => [r.partition as number, Number(r.offset)]),
      );
    };
    let peakRss = 0;
    const rssSamples: number[] = [];
    let ticks = 0;
    const sampler = setInterval(() => {
      try {
        const mb = rssMb(pid);
        peakRss = Math.max(peakRss, mb);
        if (ticks++ % 4 === 0) rssSamples.push(Math.round(mb));
      } catch {
        // exited
      }
    }, 250);
    const spawned = performance.now();
    // Partitions are claimed (a row each) as soon as they are assigned, before any record is read:
    // the clock starts there, so the first flush's size does not shift it.
    await waitFor(async () => (await snapshotRows()).length > 0, {
      timeoutMs: 120_000,
      intervalMs: 50,
      description: `the speed layer's first partition claim; output: ${output.join('').slice(-1500)}`,
    });
    const firstSnapshot = performance.now();
    const cores = measureCores(base.home, pid);
    const startedAfter = (firstSnapshot - spawned) / 1000;
    let progress = 0;
    await waitFor(
      async () => {
        const saved = await offsets();
        const done = [...saved.values()].reduce((s, v) => s + v, 0);
        if (done - progress >= 100_000) {
          progress = done;
          log(`speed layer at ${done} records, RSS ${rssMb(pid).toFixed(0)} MB`);
        }
        return [...produced.ends].every(([p, end]) => saved.get(p) === end);
      },
      {
        timeoutMs: TIMEOUT_S * 1000,
        intervalMs: 200,
        description: `the speed layer to catch up; output: ${output.join('').slice(-1500)}`,
      },
    );
    const seconds = (performance.now() - firstSnapshot) / 1000;
    const backlogCores = cores.stop();
    log(
      `cores used over the backlog: speed layer ${backlogCores.speedLayer}, Cassandra ${backlogCores.cassandra}, Kafka ${backlogCores.kafka}`,
    );
    log(`speed layer stages over the backlog: ${await stageTimes(output)}`);
    const backlogPeakRss = peakRss;
    const speedRate = produced.records / seconds;
    let freshness: FreshnessResult | undefined;
    if (LIVE_SECONDS > 0) {
      log(`live phase: ${LIVE_RATE} clicks/s for ${LIVE_SECONDS} s, a probe every ${PROBE_EVERY_MS} ms`);
      const view = new CassandraSpeedViewStore(
        { ...base, cassandra: { ...base.cassandra, keyspace: keyspace.keyspace } },
        logger,
      );
      const publisher = new KafkaClickPublisher(kafka, logger, { maxPendingBytes: 64 * 1024 * 1024 });
      await view.start();
      await publisher.start();
      try {
        freshness = await measureFreshness({
          publisher,
          view,
          topic,
          partitions: PARTITIONS,
          ads: ADS,
          seconds: LIVE_SECONDS,
          liveRate: LIVE_RATE,
          probeEveryMs: PROBE_EVERY_MS,
          runId: id,
        });
      } finally {
        await publisher.close();
        await view.close();
      }
      log(
        `freshness: ${freshness.visible}/${freshness.probes} probes visible, p50 ${freshness.p50Ms} ms, p99 ${freshness.p99Ms} ms`,
      );
    }
    clearInterval(sampler);
    // The replay runs its own speed process: this one must not take CPU from it.
    await stop(child);
    const replay = REPLAY_CLICKS > 0 ? await replayRun() : null;
    const report: SpeedReport = {
      clicks: CLICKS,
      records: produced.records,
      ads: ADS,
      partitions: PARTITIONS,
      flushIntervalMs: FLUSH_MS === undefined ? 'default' : Number(FLUSH_MS),
      produceRecordsPerSecond: Math.round(produced.records / produced.seconds),
      bareConsumerRecordsPerSecond: Math.round(bareRate),
      speedLayerRecordsPerSecond: Math.round(speedRate),
      speedLayerVsBare: Number((speedRate / bareRate).toFixed(3)),
      parseConsumerRecordsPerSecond: Math.round(peers.parse),
      mapAggregateConsumerRecordsPerSecond: Math.round(peers.mapAggregate),
      speedLayerSeconds: Number(seconds.toFixed(1)),
      speedLayerStartupSeconds: Number(startedAfter.toFixed(1)),
      speedLayerPeakRssMb: Math.round(peakRss),
      targets: { recordsPerSecond: 50_000, vsBare: 0.8, rssMb: 1024, freshnessP99Ms: 2000 },
      measuredAt: new Date().toISOString(),
      speedLayerBacklogPeakRssMb: Math.round(backlogPeakRss),
      backlogCores,
      speedLayerRssSamplesMb: rssSamples,
      liveSeconds: freshness?.liveSeconds ?? null,
      liveRecordsPerSecond:
        freshness === undefined ? null : Math.round(freshness.liveRecords / freshness.liveSeconds),
      freshnessProbes: freshness?.probes ?? null,
      freshnessProbesVisible: freshness?.visible ?? null,
      freshnessP50Ms: freshness?.p50Ms ?? null,
      freshnessP99Ms: freshness?.p99Ms ?? null,
      freshnessMaxMs: freshness?.maxMs ?? null,
      freshnessSamples: freshness?.samples ?? [],
      eventRate: EVENT_RATE,
      replay,
    };
    writeSpeedReport(OUT_DIR, report);
    log(
      `speed layer: ${speedRate.toFixed(0)} records/s (${report.speedLayerVsBare} of bare), peak RSS ${peakRss.toFixed(0)} MB`,
    );
    console.log(JSON.stringify(report, null, 2));
  } finally {
    if (child !== undefined) await stop(child);
    await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
    await admin.disconnect();
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
