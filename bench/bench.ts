/**
 * `npm run bench`: the benchmark of record. Runs the three layer benchmarks (`bench:speed`,
 * `bench:batch`, `bench:api`) as child processes and reads their JSON reports, then an end-to-end
 * run (generator → Kafka → speed layer → Cassandra → API, with freshness probes through the
 * collector and the speed layer's RSS sampled), and writes reports/bench.json and
 * reports/BENCH.md: machine, every SPEC C figure next to its target (met, or the gap), peers.
 *
 *   npm run bench                     full scale (the layer benchmarks' defaults, 50k clicks/s e2e)
 *   npm run bench -- --quick          small scale, a few minutes: checks the harness works
 *   npm run bench -- --only e2e       only some parts (speed,batch,api,e2e); the others' figures
 *                                     come from their reports on disk and say so
 *   options: --rate N --duration S --ads N --via kafka|collector (end-to-end run)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../shared/config/config.ts';
import { runE2e } from './e2e/e2e.ts';
import { stampedProgress, viaOption, wholeNumber } from './e2e/run-options.ts';
import { peers, specFigures } from './report/figures.ts';
import { type LayerName, QUICK_ARGS, readLayerReport, runLayer } from './report/layer-runs.ts';
import { machineInfo } from './report/machine.ts';
import { renderBenchMarkdown } from './report/markdown.ts';
import type { BenchReport } from './report/types.ts';

const HELP = `Usage: npm run bench -- [--quick] [--only speed,batch,api,e2e] [--rate N] [--duration S]
                        [--ads N] [--via kafka|collector]
Writes reports/bench.json and reports/BENCH.md (see the header of bench/bench.ts).`;

const PARTS = ['speed', 'batch', 'api', 'e2e'] as const;
type Part = (typeof PARTS)[number];

const root = join(import.meta.dirname, '..');
const started = Date.now();
const progress = stampedProgress('bench', started);

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      ads: { type: 'string' },
      via: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const only = values.only === undefined ? [...PARTS] : values.only.split(',').map((p) => p.trim());
  const unknown = only.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw new Error(`--only: unknown part(s) ${unknown.join(', ')}; one of ${PARTS.join(', ')}`);
  const quick = values.quick === true;
  return {
    quick,
    parts: new Set(only as Part[]),
    rate: wholeNumber('rate', values.rate, quick ? 2_000 : 50_000),
    durationSeconds: wholeNumber('duration', values.duration, quick ? 40 : 240),
    ads: wholeNumber('ads', values.ads, quick ? 10_000 : 2_000_000),
    via: viaOption(values.via),
  };
}

async function main(): Promise<number> {
  const o = options();
  const scale = o.quick ? 'quick' : 'full';
  progress(`scale ${scale}; parts: ${[...o.parts].join(', ')}; machine info…`);
  const machine = machineInfo(root);
  progress(
    `${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, load ${machine.loadAverage1m}`,
  );
  const unhealthy = Object.entries(machine.services).filter(
    ([, v]) => v.includes('UNHEALTHY') || v.includes('failed'),
  );
  if (unhealthy.length > 0) {
    throw new Error(
      `services not healthy (start them with \`npm run up\`): ${unhealthy.map(([k]) => k).join(', ')}`,
    );
  }

  // An hour long, the soak is its own command; its latest report is carried into BENCH.md.
  const layers: BenchReport['layers'] = { soak: readLayerReport(root, 'soak') };
  for (const name of ['speed', 'batch', 'api'] as LayerName[]) {
    if (!o.parts.has(name)) {
      layers[name] = readLayerReport(root, name);
      continue;
    }
    progress(
      `stage ${name}: npm run bench:${name} ${o.quick ? QUICK_ARGS[name].join(' ') : '(its defaults)'}`,
    );
    layers[name] = await runLayer(
      root,
      name,
      o.quick ? QUICK_ARGS[name] : [],
      (line) => progress(`  ${name}: ${line}`),
      !o.quick,
    );
    const run = layers[name]!;
    progress(`stage ${name}: ${run.ok ? 'done' : `FAILED (${run.error})`} in ${run.seconds?.toFixed(0)} s`);
  }

  let e2e: BenchReport['e2e'] = null;
  let e2eError: string | undefined;
  if (o.parts.has('e2e')) {
    progress(`stage e2e: ${o.rate} records/s for ${o.durationSeconds} s over ${o.ads} ads via ${o.via}`);
    try {
      const result = await runE2e({
        root,
        config: loadConfig(process.env),
        rate: o.rate,
        durationSeconds: o.durationSeconds,
        ads: o.ads,
        via: o.via,
        drainLimitSeconds: o.quick ? 60 : 300,
        progress,
      });
      e2e = { ok: true, ...result };
      progress(
        `stage e2e: done; ${result.sustainedPerSecond} records/s sustained, freshness p99 ${result.freshness.p99Ms} ms, ` +
          `RSS peak ${result.rss.peakMb} MB`,
      );
    } catch (error) {
      progress(`stage e2e: FAILED: ${String(error)}`);
      e2e = null;
      e2eError = String(error).slice(0, 1000);
    }
  }

  const parts = { layers, e2e };
  const report: BenchReport = {
    benchmark: 'adclick',
    scale,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    totalSeconds: Math.round((Date.now() - started) / 1000),
    machine,
    layers,
    e2e: e2e ?? (e2eError === undefined ? null : failedE2e(e2eError, o)),
    figures: specFigures(parts),
    peers: peers(parts),
  };
  const dir = join(root, 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'BENCH.md'), renderBenchMarkdown(report));
  for (const f of report.figures) {
    const value = f.value === null ? '—' : `${f.value} ${f.unit}`;
    progress(
      `${f.status.padEnd(12)} ${f.part.padEnd(5)} ${f.measure}: ${value}${f.gap ? ` (${f.gap})` : ''}`,
    );
  }
  progress(`wrote reports/bench.json and reports/BENCH.md in ${report.totalSeconds} s`);
  const failed = Object.values(layers).some((l) => l.ranThisRun && !l.ok) || e2eError !== undefined;
  return failed ? 1 : 0;
}

/** An end-to-end entry that records the failure, so the report says the figures are missing and why. */
function failedE2e(error: string, o: ReturnType<typeof options>): NonNullable<BenchReport['e2e']> {
  return {
    ok: false,
    error,
    targetRate: o.rate,
    durationSeconds: o.durationSeconds,
    ads: o.ads,
    partitions: 0,
    via: o.via,
    producedPerSecond: 0,
    sustainedPerSecond: 0,
    lagAtEnd: 0,
    drainSeconds: null,
    freshness: { probes: 0, missing: 0, p50Ms: null, p99Ms: null, maxMs: null },
    rss: { samples: [], peakMb: 0, slopeMbPerMinute: 0, projectedHourMb: null },
    restarts: [],
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    progress(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
