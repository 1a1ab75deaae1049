import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sleep } from '../../shared/async/wait-for.ts';
import { createTestKeyspace } from '../../shared/cassandra/testing.ts';
import type { AdclickConfig } from '../../shared/config/types.ts';
import { createKafka, ensureTopics, kafkaOptionsFrom } from '../../shared/kafka/kafka.ts';
import { createLogger } from '../../shared/logger/logger.ts';
import { speedOptionsFrom } from '../../speed-layer/options.ts';
import type { E2eResult, RssSample } from '../report/types.ts';
import { probe, probeLoop } from './freshness.ts';
import { startServices } from './services.ts';
import { backpressurePauses, consumedCounter } from './speed-progress.ts';
import { longestStall, percentile, rateBetween, slope } from './stats.ts';

export interface E2eOptions {
  root: string;
  config: AdclickConfig;
  rate: number;
  durationSeconds: number;
  ads: number;
  via: 'kafka' | 'collector';
  /** Longest wait for the speed layer to catch up after the generator stops. */
  drainLimitSeconds: number;
  progress: (line: string) => void;
}

const SAMPLE_MS = 2_000;

function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * The end-to-end run: collector, speed layer and API as processes on a fresh topic and keyspace,
 * `adclick generate` at the target rate, one freshness probe per second through the collector,
 * and the speed layer's progress (records consumed, from its `/metrics`; snapshot offsets) and RSS
 * sampled throughout.
 */
export async function runE2e(o: E2eOptions): Promise<E2eResult> {
  const id = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topic = `bench-e2e-${id}`;
  const dlqTopic = `${topic}-dlq`;
  const group = `bench-e2e-${id}`;
  const partitions = o.config.kafka.partitions;
  const logger = createLogger({ level: 'warn' });
  const kafka = createKafka(kafkaOptionsFrom(o.config, { clientId: 'adclick-bench-e2e' }), logger);
  const admin = kafka.admin();
  await admin.connect();
  const keyspace = await createTestKeyspace({ config: o.config, prefix: 'bench_e2e' });
  let services: Awaited<ReturnType<typeof startServices>> | undefined;
  try {
    await ensureTopics(admin, [
      { topic, numPartitions: partitions },
      { topic: dlqTopic, numPartitions: 1 },
    ]);
    const env = {
      ...process.env,
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlqTopic,
      CASSANDRA_KEYSPACE: keyspace.keyspace,
      LOG_LEVEL: 'warn',
    };
    o.progress(
      `e2e: starting collector, speed layer and API on topic ${topic}, keyspace ${keyspace.keyspace}`,
    );
    services = await startServices(o.root, env, group, o.progress);
    const target = {
      collectorUrl: services.collectorUrl,
      apiUrl: services.apiUrl,
      adPrefix: `probe-${id}-`,
      timeoutMs: 30_000,
    };
    // The whole path works before the clock starts: a first probe must come through.
    const warm = await probe({ ...target, timeoutMs: 180_000 }, 0);
    if (warm === null)
      throw new Error(`a first click never reached the API; speed: ${services.tail('speed')}`);
    o.progress(`e2e: path ready (first probe visible after ${(warm / 1000).toFixed(1)} s)`);

    const produced = async () =>
      (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.offset), 0);
    const consumed = consumedCounter(services.speedMetricsUrl);
    const snapshotted = async () => {
      const rs = await keyspace.client.execute(
        'SELECT offset FROM speed_snapshots WHERE consumer_group = ?',
        [group],
        { prepare: true },
      );
      return rs.rows.reduce((s, r) => s + Number(r.offset), 0);
    };
    const t0 = performance.now();
    const startedAt = Date.now();
    const elapsed = () => (performance.now() - t0) / 1000;
    const generator = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(o.root, 'cli', 'main.ts'),
        'generate',
        `--rate=${o.rate}`,
        `--duration=${o.durationSeconds}`,
        `--ads=${o.ads}`,
        '--seed=42',
        `--via=${o.via}`,
      ],
      {
        env: { ...env, COLLECTOR_PORT: new URL(services.collectorUrl).port },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const genTail: string[] = [];
    for (const s of [generator.stdout, generator.stderr])
      createInterface({ input: s }).on('line', (l) => genTail.push(l) > 10 && genTail.shift());
    const generatorExit = new Promise<number | null>((resolve) => generator.once('exit', resolve));
    let generatorDone = false;
    void generatorExit.then(() => {
      generatorDone = true;
    });

    const stopProbes = new AbortController();
    const probes = probeLoop(target, 1000, stopProbes.signal, 1);
    const offsets: Array<{ t: number; produced: number; consumed: number; snapshotted: number }> = [];
    const rss: RssSample[] = [];
    let lastLine = 0;
    const sample = async () => {
      const t = elapsed();
      offsets.push({
        t,
        produced: await produced(),
        consumed: await consumed(),
        snapshotted: await snapshotted(),
      });
      const mb = rssMb(services?.speedPid());
      if (mb !== null) rss.push({ t, rssMb: Math.round(mb) });
      if (t - lastLine >= 10) {
        lastLine = t;
        const last = offsets.at(-1)!;
        o.progress(
          `e2e: ${t.toFixed(0)}/${o.durationSeconds} s, produced ${last.produced}, consumed ${last.consumed}, ` +
            `lag ${last.produced - last.consumed}, snapshotted ${last.snapshotted}, speed RSS ${mb?.toFixed(0) ?? '?'} MB`,
        );
      }
    };
    while (!generatorDone) {
      await sample();
      await sleep(SAMPLE_MS);
    }
    const genEnd = elapsed();
    stopProbes.abort();
    const code = await generatorExit;
    if (code !== 0) throw new Error(`adclick generate exited with ${code}: ${genTail.join(' / ')}`);
    await sample();
    const pauses = await backpressurePauses(services.speedMetricsUrl);
    const endOffsets = offsets.at(-1)!;
    const lagAtEnd = endOffsets.produced - endOffsets.consumed;
    o.progress(`e2e: generator done after ${genEnd.toFixed(0)} s; lag ${lagAtEnd}; draining`);
    let drainSeconds: number | null = null;
    while (elapsed() - genEnd < o.drainLimitSeconds) {
      await sample();
      const last = offsets.at(-1)!;
      if (last.consumed >= last.produced && last.snapshotted >= last.produced) {
        drainSeconds = Number((last.t - genEnd).toFixed(1));
        break;
      }
      await sleep(SAMPLE_MS);
    }
    const samples = await probes;
    const latencies = samples.map((s) => s.ms);
    const seen = latencies.filter((l): l is number => l !== null);
    // A probe never seen is slower than any seen; it reads as the timeout, a lower bound.
    const withMissing = latencies.map((l) => l ?? Number.POSITIVE_INFINITY);
    const bounded = (v: number | null) => (v === null ? null : Math.round(Math.min(v, target.timeoutMs)));
    // The first fifth of the run (at least 10 s) is warm-up: JIT, connections, first flushes.
    const warmUp = Math.min(genEnd / 2, Math.max(10, genEnd / 5));
    const series = (k: 'produced' | 'consumed') => offsets.map((s) => ({ t: s.t, value: s[k] }));
    // RSS climbs while windows and dedup sets fill; the trend that matters is the second half's.
    const steady = rss
      .filter((s) => s.t >= genEnd / 2 && s.t <= genEnd)
      .map((s) => ({ x: s.t / 60, y: s.rssMb }));
    const slopePerMin = slope(steady);
    const lastRss = rss.at(-1)?.rssMb ?? 0;
    return {
      targetRate: o.rate,
      retainMinutes: speedOptionsFrom(o.config).retainMinutes,
      durationSeconds: Number(genEnd.toFixed(1)),
      ads: o.ads,
      partitions,
      via: o.via,
      producedPerSecond: Math.round(rateBetween(series('produced'), warmUp, genEnd + SAMPLE_MS / 1000)),
      sustainedPerSecond: Math.round(rateBetween(series('consumed'), warmUp, genEnd + SAMPLE_MS / 1000)),
      lagAtEnd,
      drainSeconds,
      ...(pauses === null ? {} : { backpressurePauses: pauses }),
      snapshotStallSeconds: Number(
        longestStall(offsets.map((s) => ({ t: s.t, value: s.snapshotted, target: s.produced }))).toFixed(1),
      ),
      freshness: {
        probes: latencies.length,
        missing: latencies.length - seen.length,
        p50Ms: bounded(percentile(withMissing, 50)),
        p99Ms: bounded(percentile(withMissing, 99)),
        maxMs: bounded(percentile(withMissing, 100)),
        // [seconds since the generator started, latency in ms or null]: slow probes in time.
        samples: samples.map((s) => [
          Number(((s.sentAt - startedAt) / 1000).toFixed(1)),
          s.ms === null ? null : Math.round(s.ms),
        ]),
      },
      rss: {
        samples: rss.map((s) => ({ t: Number(s.t.toFixed(1)), rssMb: s.rssMb })),
        peakMb: Math.max(0, ...rss.map((s) => s.rssMb)),
        slopeMbPerMinute: Number(slopePerMin.toFixed(2)),
        // Under a minute of steady samples a trend is noise (windows are still filling).
        projectedHourMb:
          genEnd / 2 < 60
            ? null
            : Math.round(lastRss + Math.max(0, slopePerMin) * Math.max(0, 60 - genEnd / 60)),
      },
      restarts: [...services.restarts],
    };
  } finally {
    await services?.stop();
    await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
    await admin.disconnect();
    await keyspace.drop().catch(() => undefined);
  }
}
