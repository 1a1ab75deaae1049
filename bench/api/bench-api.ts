/**
 * `npm run bench:api`: load on the query API over the real Cassandra views (SPEC C: p99 ≤ 10 ms for
 * `aggregated_count` over 60 minutes and `popular_ads` N=100). Seeds a throwaway keyspace from the
 * shared generator (speed view for every minute, batch view for the first hour, watermark after
 * it), runs `adclick serve` on it as its own process, loads it with autocannon, and writes
 * reports/bench-api.json and reports/bench-api.md.
 *
 * Options (scale): --clicks=60000 --ads=20000 --duration=10 (s per scenario) --connections=8
 * --warmup=2 (s of the same requests before each measured run, after each distinct request once;
 * 0 measures cold caches).
 * Profiling: --only=4,5 runs just those scenarios (1-based, in the report's order) and leaves the
 * reports of record alone; --cpu-prof writes the server's V8 CPU profile to reports/profiles/.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { waitFor } from '../../shared/async/wait-for.ts';
import { createTestKeyspace } from '../../shared/cassandra/testing.ts';
import { loadConfig } from '../../shared/config/config.ts';
import { generateAll } from '../../shared/generator/generator.ts';
import { recountAll } from '../../test/helpers/recount.ts';
import {
  configFor,
  openViews,
  seedBatchHours,
  seedSpeed,
  topListsOf,
} from '../../test/integration/serving-layer/views.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const CLICKS = Number(args.get('clicks') ?? 60_000);
const ADS = Number(args.get('ads') ?? 20_000);
const DURATION_S = Number(args.get('duration') ?? 10);
const CONNECTIONS = Number(args.get('connections') ?? 8);
const WARMUP_S = Number(args.get('warmup') ?? 2);
const ONLY = args.get('only')?.split(',').map(Number);
const CPU_PROF = args.has('cpu-prof');
const root = join(import.meta.dirname, '..', '..');

interface Scenario {
  name: string;
  paths: string[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function main() {
  const config = loadConfig(process.env);
  const ks = await createTestKeyspace({ config, prefix: 'benchapi' });
  const start = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
  const boundary = start + HOUR;
  /** A 60-minute window ending here lies wholly in the speed view (data ends at start + 100 min). */
  const end = boundary + HOUR;
  let server: ReturnType<typeof spawn> | undefined;
  try {
    console.log(`seeding ${CLICKS} clicks over ${ADS} ads into keyspace ${ks.keyspace}…`);
    const records = generateAll({
      seed: 5,
      clicks: CLICKS,
      startMs: start,
      clicksPerSecond: CLICKS / 6000,
      ads: ADS,
    });
    const recount = recountAll(records.map((r) => ({ partition: r.partition, event: r.event })));
    const views = await openViews(configFor(config, ks.keyspace));
    const t0 = performance.now();
    const listKeys = [{ windowMinutes: 60, slice: 'all', endMinute: end }];
    await seedSpeed(views.speed, recount, topListsOf(recount, listKeys, 100));
    await seedBatchHours(views.batch, recount, [start], 1, []);
    await views.batch.setWatermark(boundary);
    await views.close();
    const seedS = (performance.now() - t0) / 1000;
    console.log(`seeded ${recount.cells.size} cells per view in ${seedS.toFixed(1)} s`);

    const port = await freePort();
    server = spawn(
      process.execPath,
      [
        ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(root, 'reports', 'profiles')}`] : []),
        '--import',
        'tsx',
        join(root, 'cli', 'main.ts'),
        'serve',
        '--port',
        String(port),
      ],
      {
        env: { ...process.env, CASSANDRA_KEYSPACE: ks.keyspace, LOG_LEVEL: 'warn', API_TOKENS: '' },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true, {
      timeoutMs: 60_000,
      description: 'adclick serve to be ready',
    });

    const busy = recount.top(120, 'all', end, 200).map((a) => a.adId);
    const from = boundary - 30 * MINUTE;
    const live = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    const scenarios: Scenario[] = [
      {
        name: 'aggregated_count, 60-minute range across the boundary',
        paths: busy.map((ad) => `/v1/ads/${ad}/aggregated_count?from=${from}&to=${from + HOUR}`),
      },
      {
        name: 'popular_ads N=100, window 60, inside the speed view (stored top list)',
        paths: [`/v1/ads/popular_ads?count=100&window=60&end=${end}`],
      },
      {
        name: 'popular_ads N=100, window 60, across the boundary (per-ad sums of 60 minutes)',
        paths: [`/v1/ads/popular_ads?count=100&window=60&end=${boundary + 30 * MINUTE}`],
      },
      // Ranges ending now: their open minutes are reused only within the freshness budget
      // (API_LIVE_CACHE_MS), so the speed view is read again several times a second.
      {
        name: 'aggregated_count, last 60 minutes (open minutes within the freshness budget)',
        paths: busy.map((ad) => `/v1/ads/${ad}/aggregated_count?from=${live - HOUR}&to=${live}`),
      },
      {
        name: 'popular_ads N=100, window 60, ending now (open minutes within the freshness budget)',
        paths: ['/v1/ads/popular_ads?count=100&window=60'],
      },
    ];
    const results = [];
    for (const [index, s] of scenarios.entries()) {
      if (ONLY !== undefined && !ONLY.includes(index + 1)) continue;
      let i = 0;
      const requests = [
        { setupRequest: (req: object) => ({ ...req, path: s.paths[i++ % s.paths.length]! }) },
      ];
      // A warm-up on the same requests, so prepared statements, connections and the serving
      // layer's caches are as under steady load; `warmup=0` measures from cold.
      if (WARMUP_S > 0) {
        // Every distinct request once first, so a slow start cannot leave some of them cold.
        for (const path of new Set(s.paths)) await (await fetch(`${url}${path}`)).arrayBuffer();
        await autocannon({ url, connections: 4, duration: WARMUP_S, requests });
      }
      const before = await cacheReads(url);
      const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, requests });
      const after = await cacheReads(url);
      const row = {
        scenario: s.name,
        requests: r.requests.total,
        reqPerSec: Math.round(r.requests.average),
        p50ms: r.latency.p50,
        p90ms: r.latency.p90,
        p99ms: r.latency.p99,
        maxMs: r.latency.max,
        non2xx: r.non2xx,
        errors: r.errors,
        meetsP99Target: r.latency.p99 <= 10,
        /** Reads of each serving cache during the measured run, and the share served from it. */
        cacheReads: cacheDelta(before, after),
      };
      console.log(
        `${s.name}: ${row.reqPerSec} req/s, p50 ${row.p50ms} ms, p99 ${row.p99ms} ms, non-2xx ${row.non2xx}`,
      );
      results.push(row);
    }
    const report = {
      benchmark: 'api',
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version, loadAverage1m: loadavg()[0] },
      workload: { clicks: CLICKS, ads: ADS, cellsPerView: recount.cells.size, seedSeconds: seedS },
      load: {
        connections: CONNECTIONS,
        durationSeconds: DURATION_S,
        warmupSeconds: WARMUP_S,
        tool: 'autocannon',
        serverProcess: 'adclick serve',
        liveCacheMs: config.serving.liveCacheMs,
      },
      targetP99Ms: 10,
      results,
    };
    if (ONLY !== undefined) {
      console.log(JSON.stringify(results, null, 2));
      console.log('--only: reports/bench-api.{json,md} left as they were');
      return;
    }
    mkdirSync(join(root, 'reports'), { recursive: true });
    writeFileSync(join(root, 'reports', 'bench-api.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(root, 'reports', 'bench-api.md'), markdown(report));
    console.log('wrote reports/bench-api.json and reports/bench-api.md');
  } finally {
    const exited = server === undefined ? undefined : new Promise((r) => server!.once('exit', r));
    server?.kill('SIGTERM');
    // The CPU profile is written as the server exits.
    if (CPU_PROF) await exited;
    await ks.drop();
  }
}

type CacheCounts = Map<string, { hit: number; miss: number }>;

/** The server's `adclick_api_cache_reads_total` counters, per cache. */
async function cacheReads(url: string): Promise<CacheCounts> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: CacheCounts = new Map();
  for (const m of text.matchAll(/^adclick_api_cache_reads_total\{([^}]*)\} (\d+)/gm)) {
    const cache = /cache="([^"]+)"/.exec(m[1]!)?.[1] ?? '?';
    const result = /result="([^"]+)"/.exec(m[1]!)?.[1] === 'hit' ? 'hit' : 'miss';
    const c = out.get(cache) ?? { hit: 0, miss: 0 };
    c[result] += Number(m[2]);
    out.set(cache, c);
  }
  return out;
}

function cacheDelta(before: CacheCounts, after: CacheCounts) {
  const out: Record<string, { hits: number; misses: number; hitRatio: number }> = {};
  for (const [cache, a] of after) {
    const b = before.get(cache) ?? { hit: 0, miss: 0 };
    const hits = a.hit - b.hit;
    const misses = a.miss - b.miss;
    if (hits + misses > 0)
      out[cache] = { hits, misses, hitRatio: Number((hits / (hits + misses)).toFixed(4)) };
  }
  return out;
}

function markdown(r: {
  at: string;
  machine: { cpus: number; loadAverage1m: number };
  workload: { clicks: number; ads: number; cellsPerView: number };
  load: { connections: number; durationSeconds: number; warmupSeconds: number; liveCacheMs: number };
  results: Array<{
    scenario: string;
    reqPerSec: number;
    p50ms: number;
    p99ms: number;
    non2xx: number;
    meetsP99Target: boolean;
    cacheReads: Record<string, { hitRatio: number }>;
  }>;
}): string {
  return [
    '# Query API benchmark',
    '',
    `${r.at}. ${r.workload.clicks} clicks over ${r.workload.ads} ads (${r.workload.cellsPerView} cells per view) in Cassandra; ` +
      `\`adclick serve\` as its own process; autocannon with ${r.load.connections} connections for ${r.load.durationSeconds} s per scenario ` +
      `after ${r.load.warmupSeconds} s of the same requests (the serving layer's caches warm), on the same machine. ` +
      `Freshness budget (\`API_LIVE_CACHE_MS\`): ${r.load.liveCacheMs} ms — open speed minutes are re-read at least that often.`,
    '',
    `Load average (1 min) at the end: ${r.machine.loadAverage1m.toFixed(1)} on ${r.machine.cpus} cores — other work on the machine shows up in these figures.`,
    '',
    '| scenario | req/s | p50 ms | p99 ms | non-2xx | p99 ≤ 10 ms | cache hits |',
    '|---|---:|---:|---:|---:|---|---|',
    ...r.results.map(
      (x) =>
        `| ${x.scenario} | ${x.reqPerSec} | ${x.p50ms} | ${x.p99ms} | ${x.non2xx} | ${x.meetsP99Target ? 'yes' : 'no'} | ${cacheCell(x.cacheReads)} |`,
    ),
    '',
  ].join('\n');
}

function cacheCell(reads: Record<string, { hitRatio: number }>): string {
  const parts = Object.entries(reads).map(([cache, r]) => `${cache} ${(r.hitRatio * 100).toFixed(1)}%`);
  return parts.length === 0 ? '—' : parts.join(', ');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
