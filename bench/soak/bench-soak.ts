/**
 * `npm run bench:soak`: the speed layer over 90 minutes of traffic at the SPEC's average rate
 * (10,000 clicks/s over 2 million Zipf-skewed ads), to measure the memory bar of SPEC C — RSS
 * flat and ≤ 1 GB over an hour — instead of projecting it from a few minutes. Its state grows
 * for the first 70 minutes by design (each minute of the 60-minute window adds its cells); the
 * 20 minutes after show whether it is flat once full. The same
 * end-to-end harness as `npm run bench` (generator → Kafka → speed layer → Cassandra → API, one
 * freshness probe per second through the collector), for longer and slower. Writes
 * reports/bench-soak.json and reports/bench-soak.md; `npm run bench` carries the latest soak
 * report into BENCH.md.
 *
 *   npm run bench:soak                          90 minutes at 10,000 clicks/s
 *   npm run bench:soak -- --duration 120 --rate 2000 --ads 20000 --out /tmp/soak   a short check
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../shared/config/config.ts';
import { runE2e } from '../e2e/e2e.ts';
import { stampedProgress, viaOption, wholeNumber } from '../e2e/run-options.ts';
import { machineInfo } from '../report/machine.ts';
import { e2eSection, figuresTable } from '../report/markdown.ts';
import { soakFigures } from './soak-figures.ts';

const HELP = `Usage: npm run bench:soak -- [--rate N] [--duration S] [--ads N] [--via kafka|collector] [--out DIR]
  --rate N        clicks/s the generator is asked for (default 10000, the SPEC's average)
  --duration S    seconds of traffic (default 5400: the state fills for 70 min,
                  flatness is judged on what follows)
  --ads N         ad catalogue size (default 2000000)
  --via           kafka (default) or collector
  --out DIR       where bench-soak.json and bench-soak.md go (default reports/)
Needs the local services (npm run up).`;

const root = join(import.meta.dirname, '..', '..');
const started = Date.now();
const progress = stampedProgress('soak', started);

function options() {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      ads: { type: 'string' },
      via: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  return {
    rate: wholeNumber('rate', values.rate, 10_000),
    durationSeconds: wholeNumber('duration', values.duration, 5_400),
    ads: wholeNumber('ads', values.ads, 2_000_000),
    via: viaOption(values.via),
    out: resolve(values.out ?? join(root, 'reports')),
  };
}

async function main(): Promise<number> {
  const o = options();
  const machine = machineInfo(root);
  progress(`${o.rate} clicks/s for ${o.durationSeconds} s over ${o.ads} ads via ${o.via}`);
  const run = await runE2e({
    root,
    config: loadConfig(process.env),
    rate: o.rate,
    durationSeconds: o.durationSeconds,
    ads: o.ads,
    via: o.via,
    drainLimitSeconds: 300,
    progress,
  });
  const figures = soakFigures(run);
  const measuredAt = new Date().toISOString();
  const report = { benchmark: 'adclick-soak', measuredAt, machine, run, figures };
  const markdown = [
    '# adclick soak: the speed layer over a long run',
    '',
    `Run ${new Date(started).toISOString()} → ${measuredAt}, written by \`npm run bench:soak\`; ` +
      `${machine.code === undefined ? '' : `code ${machine.code}; `}` +
      `${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverage1m} at start.`,
    '',
    ...figuresTable(figures),
    '',
    ...e2eSection(run, 'The run'),
  ].join('\n');
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'bench-soak.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(o.out, 'bench-soak.md'), markdown);
  for (const f of figures)
    progress(`${f.status.padEnd(9)} ${f.measure}: ${f.value ?? '—'} ${f.unit}${f.gap ? ` (${f.gap})` : ''}`);
  progress(`wrote ${join(o.out, 'bench-soak.json')} and bench-soak.md`);
  return figures.some((f) => f.status === 'not measured') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    progress(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
