import type { BenchReport, E2eResult, Figure, LayerRun, Peer } from './types.ts';

const num = (n: number | null | undefined, digits = 2): string => {
  if (n === null || n === undefined) return '—';
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : String(Number(n.toFixed(digits)));
};

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function targetText(f: Figure): string {
  if (f.comparator === null || f.targetValue === null) return '(no target; reported)';
  return `${f.comparator === '>=' ? '≥' : '≤'} ${num(f.targetValue)} ${f.unit}`;
}

function verdict(f: Figure): string {
  switch (f.status) {
    case 'met':
      return 'met';
    case 'gap':
      return `**gap**: ${f.gap ?? ''}`;
    case 'reported':
      return 'reported';
    default:
      return '**not measured**';
  }
}

function figureRow(f: Figure): string {
  const value = f.value === null ? '—' : `${num(f.value)} ${f.unit}`;
  return `| ${f.part} | ${cell(f.measure)} | ${value} | ${targetText(f)} | ${cell(verdict(f))} | ${cell(f.note ?? '')} |`;
}

/** The Markdown table of figures against their targets. */
export function figuresTable(figures: readonly Figure[]): string[] {
  return [
    '| part | measure | figure | target | verdict | conditions |',
    '|---|---|---|---|---|---|',
    ...figures.map(figureRow),
  ];
}

function peerRow(p: Peer): string {
  const ratio = p.ratio === null ? '—' : `${num(p.ratio, 3)} (${p.ratioMeaning})`;
  return `| ${p.part} | ${cell(p.peer)} | ${num(p.value)} ${p.unit} | ${cell(p.ours)}: ${num(p.oursValue)} ${p.unit} | ${ratio} |`;
}

function layerRow(name: string, run: LayerRun | undefined): string {
  if (run === undefined || (!run.ranThisRun && run.report === null))
    return `| ${name} | not run; ${run?.error ?? 'no earlier report'} | |`;
  const code = (run.report?.machine as { code?: unknown } | undefined)?.code;
  const when = `${run.measuredAt ?? 'unknown time'}${typeof code === 'string' ? ` (code ${code})` : ''}`;
  const how = run.ranThisRun
    ? run.ok
      ? `ran in this run (${num(run.seconds ?? null)} s)`
      : `**failed** in this run: ${run.error ?? 'unknown error'}`
    : `not run; figures from the report on disk`;
  return `| ${name} | ${cell(how)} | ${when} |`;
}

/** reports/BENCH.md from reports/bench.json: machine, every SPEC C figure vs its target, peers. */
export function renderBenchMarkdown(r: BenchReport): string {
  const m = r.machine;
  const counts = { met: 0, gap: 0, missing: 0 };
  for (const f of r.figures) {
    if (f.status === 'met') counts.met++;
    else if (f.status === 'gap') counts.gap++;
    else if (f.status === 'not measured') counts.missing++;
  }
  const lines: string[] = [];
  if (r.scale === 'quick') {
    lines.push(
      '# adclick benchmark — QUICK RUN (small scale, for checking the harness; not the benchmark of record)',
    );
  } else {
    lines.push('# adclick benchmark');
  }
  lines.push(
    '',
    `Run ${r.startedAt} → ${r.finishedAt} (${num(r.totalSeconds)} s), scale **${r.scale}**, written by \`npm run bench\`.`,
    `Targets: ${counts.met} met, ${counts.gap} with a gap, ${counts.missing} not measured.`,
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    ...(m.code === undefined ? [] : [`| code | ${cell(m.code)} |`]),
    `| CPU | ${cell(m.cpuModel)}, ${m.cores} cores |`,
    `| memory | ${num(m.memoryGiB, 1)} GiB |`,
    `| Node | ${m.node} |`,
    `| OS | ${cell(m.os)} |`,
    `| load average (1 min) at start | ${num(m.loadAverage1m)} |`,
    ...Object.entries(m.services).map(([name, v]) => `| ${name} | ${cell(v)} |`),
    '',
    '## SPEC C figures against their targets',
    '',
    ...figuresTable(r.figures),
    '',
    '## Peers measured in the same run',
    '',
    '| part | peer | peer figure | ours | ratio |',
    '|---|---|---|---|---|',
    ...r.peers.map(peerRow),
    '',
    '## Parts of this run',
    '',
    '| part | how | measured at |',
    '|---|---|---|',
    layerRow('speed (`npm run bench:speed`)', r.layers.speed),
    layerRow('batch (`npm run bench:batch`)', r.layers.batch),
    layerRow('api (`npm run bench:api`)', r.layers.api),
    layerRow('soak (`npm run bench:soak`, 90 minutes; never run by `npm run bench`)', r.layers.soak),
    r.e2e === null
      ? '| end to end | not run | |'
      : `| end to end | ${r.e2e.ok ? 'ran in this run' : `**failed**: ${cell(r.e2e.error ?? '')}`} | ${r.finishedAt} |`,
    '',
  );
  if (r.e2e?.ok) lines.push(...e2eSection(r.e2e, 'End-to-end run'));
  lines.push(
    'Layer details: `reports/bench-speed.md`, `reports/bench-batch.md`, `reports/bench-api.md`, `reports/bench-soak.md`.',
    '',
  );
  return lines.join('\n');
}

/** A Markdown section of one end-to-end run (`npm run bench`'s, or `bench:soak`'s long one). */
export function e2eSection(e: E2eResult, title: string): string[] {
  const samples = e.rss.samples;
  const step = Math.max(1, Math.ceil(samples.length / 12));
  const shown = samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
  return [
    `## ${title}`,
    '',
    `Generator (\`adclick generate\`, via ${e.via}) at ${num(e.targetRate)} records/s for ${num(e.durationSeconds)} s over ` +
      `${num(e.ads)} Zipf-skewed ads (5% duplicates, 1% late, 1% malformed), ${e.partitions} partitions; ` +
      'collector, speed layer and API as supervised processes on a fresh topic and keyspace.',
    '',
    `- topic ingest: ${num(e.producedPerSecond)} records/s; speed layer: ${num(e.sustainedPerSecond)} records/s sustained`,
    `- lag when the generator stopped: ${num(e.lagAtEnd)} records; consumed and snapshotted ${e.drainSeconds === null ? 'not within the drain limit' : `${num(e.drainSeconds)} s later`}`,
    ...(e.snapshotStallSeconds === undefined
      ? []
      : [
          `- longest stretch without a new snapshot while records waited: ${num(e.snapshotStallSeconds)} s (what a crash then would replay)`,
        ]),
    `- freshness over ${e.freshness.probes} probes (one click per second through the collector, polled in the API): ` +
      `p50 ${num(e.freshness.p50Ms)} ms, p99 ${num(e.freshness.p99Ms)} ms, max ${num(e.freshness.maxMs)} ms, ${e.freshness.missing} never visible`,
    ...(e.backpressurePauses === undefined
      ? []
      : [`- backpressure pauses of the speed layer's input: ${num(e.backpressurePauses)}`]),
    `- restarts: ${e.restarts.length === 0 ? 'none' : e.restarts.join('; ')}`,
    '',
    'Speed-layer RSS over time:',
    '',
    `| ${shown.map((s) => `${num(s.t)} s`).join(' | ')} |`,
    `|${shown.map(() => '---').join('|')}|`,
    `| ${shown.map((s) => `${num(s.rssMb)} MB`).join(' | ')} |`,
    '',
  ];
}
