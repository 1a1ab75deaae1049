import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { peers, specFigures } from '../../../bench/report/figures.ts';
import { judge, TARGETS } from '../../../bench/report/judge.ts';
import { renderBenchMarkdown } from '../../../bench/report/markdown.ts';
import type { BenchReport, E2eResult, LayerRun } from '../../../bench/report/types.ts';
import { soakFigures, steadyTrend } from '../../../bench/soak/soak-figures.ts';

const e2eFixture = (): E2eResult => ({
  targetRate: 50_000,
  durationSeconds: 240,
  ads: 2_000_000,
  partitions: 12,
  via: 'kafka',
  producedPerSecond: 30_000,
  sustainedPerSecond: 11_000,
  lagAtEnd: 4_000_000,
  drainSeconds: null,
  freshness: { probes: 240, missing: 0, p50Ms: 700, p99Ms: 1800, maxMs: 2100 },
  rss: {
    samples: [
      { t: 0, rssMb: 300 },
      { t: 120, rssMb: 420 },
      { t: 240, rssMb: 430 },
    ],
    peakMb: 430,
    slopeMbPerMinute: 1.2,
    projectedHourMb: 500,
  },
  restarts: [],
});

const fixture = (name: string): LayerRun => ({
  ranThisRun: true,
  ok: true,
  seconds: 12,
  report: JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')),
  measuredAt: '2026-11-24T18:00:00.000Z',
});

function report(overrides: Partial<BenchReport> = {}): BenchReport {
  const layers = { speed: fixture('bench-speed'), batch: fixture('bench-batch'), api: fixture('bench-api') };
  const e2e = { ok: true, ...e2eFixture() };
  return {
    benchmark: 'adclick',
    scale: 'full',
    startedAt: '2026-11-24T18:00:00.000Z',
    finishedAt: '2026-11-24T18:30:00.000Z',
    totalSeconds: 1800,
    machine: {
      cpuModel: 'AMD EPYC',
      cores: 2,
      memoryGiB: 23.5,
      node: 'v20.20.2',
      os: 'Linux 6',
      loadAverage1m: 0.4,
      services: { kafka: 'Kafka 3.9.2 (local)', cassandra: 'Cassandra 5.0.9 (local)' },
    },
    layers,
    e2e,
    figures: specFigures({ layers, e2e }),
    peers: peers({ layers, e2e }),
    ...overrides,
  };
}

describe('judge: a figure against its target', () => {
  it('meets an at-least target at or above it, else states how far short', () => {
    expect(judge('speed', 'rate', 50_000, 'clicks/s', '>=', 50_000).status).toBe('met');
    const gap = judge('speed', 'rate', 12_500, 'clicks/s', '>=', 50_000);
    expect(gap.status).toBe('gap');
    expect(gap.gap).toBe('25% of the target; 4× short');
  });

  it('meets an at-most target at or below it, else states how far over', () => {
    expect(judge('api', 'p99', 10, 'ms', '<=', 10).status).toBe('met');
    const gap = judge('api', 'p99', 39, 'ms', '<=', 10);
    expect(gap).toMatchObject({ status: 'gap', gap: '3.9× over the target (29 ms too much)' });
  });

  it('says "not measured" when the figure is missing', () => {
    expect(judge('e2e', 'p99', null, 'ms', '<=', 2000).status).toBe('not measured');
  });
});

describe('SPEC C figures from the layer reports and the end-to-end run', () => {
  const figures = report().figures;
  const find = (text: string) => figures.find((f) => f.measure.includes(text));

  it('reads each layer report, tolerating fields it does not know', () => {
    expect(find('speed layer throughput')).toMatchObject({
      value: 12_199,
      status: 'gap',
      targetValue: 50_000,
    });
    expect(find('bare kafkajs')).toMatchObject({
      value: 0.036,
      status: 'gap',
      targetValue: TARGETS.speedVsBare,
    });
    expect(find('peak RSS (topic replay)')).toMatchObject({ value: 635, status: 'met' });
    expect(find('bare DuckDB')).toMatchObject({ value: 36.558, status: 'gap', targetValue: 1.25 });
    expect(find('Cassandra write')).toMatchObject({ value: 8129, status: 'reported', targetValue: null });
  });

  it("reports a slow stream's replay beside the throughput, only when the speed report has one", () => {
    expect(find('slow stream')).toBeUndefined();
    const speed = fixture('bench-speed');
    speed.report = {
      ...speed.report,
      eventRate: 50_000,
      replay: { clicks: 500_000, records: 526_933, eventRate: 833, speedLayerRecordsPerSecond: 17_441 },
    };
    const withReplay = specFigures({ layers: { speed }, e2e: null });
    expect(withReplay.find((f) => f.measure.includes('slow stream'))).toMatchObject({
      value: 17_441,
      status: 'reported',
    });
    expect(withReplay.find((f) => f.measure.includes('speed layer throughput'))?.note).toContain(
      '50,000 clicks/s of event time',
    );
  });

  it('gives every API scenario its own row against the 10 ms p99', () => {
    const api = figures.filter((f) => f.part === 'api');
    expect(api.map((f) => [f.value, f.status])).toEqual([
      [9, 'met'],
      [1417, 'gap'],
    ]);
  });

  it('takes freshness and RSS from the end-to-end run', () => {
    expect(find('freshness p99')).toMatchObject({ value: 1800, status: 'met', targetValue: 2000 });
    expect(find('freshness p50')).toMatchObject({ value: 700, status: 'reported' });
    expect(find('sustained')).toMatchObject({ value: 11_000, status: 'gap' });
    // Reported, not judged: the hour-long memory bound is the soak's to judge.
    expect(find('projected to one hour')).toMatchObject({ value: 500, status: 'reported' });
    expect(find('projected to one hour')?.note).toContain('judged by the soak');
  });

  it('marks every figure of a missing part "not measured"', () => {
    const none = specFigures({ layers: {}, e2e: null });
    expect(none.length).toBeGreaterThan(8);
    expect(none.every((f) => f.status === 'not measured')).toBe(true);
  });

  it('lists the peers with ours / peer ratios', () => {
    const p = report().peers;
    expect(p.map((x) => x.peer)).toEqual([
      'bare kafkajs consumer (eachBatch, counts only)',
      'one bare DuckDB query (same aggregates, same Parquet files)',
      'parquetjs-lite writer (32.2 B/row)',
    ]);
    expect(p[0]!.ratio).toBeCloseTo(12_199 / 338_373, 6);
    expect(p[2]!.ratio).toBeCloseTo(153_940 / 21_894, 6);
  });

  it('adds the consumer ceilings of newer speed reports as peers, and the parse ceiling to the ratio', () => {
    const speed = fixture('bench-speed');
    speed.report = {
      ...speed.report,
      parseConsumerRecordsPerSecond: 220_000,
      mapAggregateConsumerRecordsPerSecond: 150_000,
    };
    const layers = { speed };
    const p = peers({ layers, e2e: null });
    const ceilings = p.filter((x) => x.ours.startsWith('ceiling'));
    expect(ceilings.map((x) => [x.oursValue, x.value])).toEqual([
      [220_000, 338_373],
      [150_000, 338_373],
    ]);
    expect(ceilings[0]!.ratio).toBeCloseTo(220_000 / 338_373, 6);
    const ratio = specFigures({ layers, e2e: null }).find((f) => f.measure.includes('bare kafkajs'));
    expect(ratio?.note).toBe('a consumer that only JSON-parses each record reaches 0.65 of bare here');
    // Older reports carry no ceilings: no rows, no note.
    expect(report().peers.some((x) => x.ours.startsWith('ceiling'))).toBe(false);
  });

  it('adds the first-copy DuckDB peer of newer batch reports, and what it costs to the ratio', () => {
    const batch = fixture('bench-batch');
    const { peer, recompute: ours } = batch.report as {
      peer: { clicksPerSecond: number };
      recompute: typeof peer;
    };
    const peerRate = peer.clicksPerSecond;
    const recompute = ours.clicksPerSecond;
    batch.report = {
      ...batch.report,
      firstCopyPeer: { roundsSeconds: [4, 4.2], clicksPerSecond: peerRate / 1.2 },
    };
    const parts = { layers: { batch }, e2e: null };
    const row = peers(parts).find((x) => x.peer.includes('first copy'));
    expect([row?.value, row?.oursValue]).toEqual([peerRate / 1.2, recompute]);
    expect(row?.ratio).toBeCloseTo(recompute / (peerRate / 1.2), 6);
    const ratio = specFigures(parts).find(
      (f) => f.measure === 'batch recompute time / bare DuckDB query time',
    );
    expect(ratio?.note).toBe(
      "the peer's own query keeping the first copy in Kafka order, as the recompute does, takes 1.2× its time here",
    );
    // Older reports carry no such peer: no row, no note.
    expect(report().peers.some((x) => x.peer.includes('first copy'))).toBe(false);
    expect(report().figures.find((f) => f.measure.startsWith('batch recompute time'))?.note).toBeUndefined();
  });
});

describe('BENCH.md', () => {
  it('puts each figure next to its target with met or the gap, and escapes table cells', () => {
    const md = renderBenchMarkdown(report());
    expect(md).toMatch(/^# adclick benchmark\n/);
    expect(md).toContain('| CPU | AMD EPYC, 2 cores |');
    expect(md).toContain('| kafka | Kafka 3.9.2 (local) |');
    expect(md).toContain(
      '| speed | speed layer throughput (a topic backlog into Cassandra) | 12,199 clicks/s | ≥ 50,000 clicks/s | **gap**: 24.4% of the target; 4.1× short | 2,000,000 ads |',
    );
    expect(md).toContain(
      '| e2e | freshness p99 (produced → visible in the API) | 1,800 ms | ≤ 2,000 ms | met |',
    );
    expect(md).toContain('API p99: popular_ads N=100 \\| across the boundary');
    expect(md).toContain('| bare kafkajs consumer (eachBatch, counts only) | 338,373 records/s |');
    expect(md).toMatch(/Targets: \d+ met, \d+ with a gap, 0 not measured\./);
  });

  it('says so in its title when it is a quick run, and names failed parts', () => {
    const failed: LayerRun = {
      ranThisRun: true,
      ok: false,
      report: null,
      error: 'bench:batch exited with 1',
    };
    const md = renderBenchMarkdown(report({ scale: 'quick', layers: { ...report().layers, batch: failed } }));
    expect(md.split('\n')[0]).toContain('QUICK RUN');
    expect(md).toContain('**failed** in this run: bench:batch exited with 1');
  });

  it('says which layer figures come from an earlier run', () => {
    const old = { ...fixture('bench-api'), ranThisRun: false };
    const md = renderBenchMarkdown(report({ layers: { ...report().layers, api: old } }));
    expect(md).toContain(
      '| api (`npm run bench:api`) | not run; figures from the report on disk | 2026-11-24T18:00:00.000Z |',
    );
  });

  it('names the code it measured, and that of a report carried from disk', () => {
    const soak: LayerRun = {
      ranThisRun: false,
      ok: true,
      measuredAt: '2026-11-24T17:00:00.000Z',
      report: { machine: { code: 'abc1234' } },
    };
    const base = report();
    const md = renderBenchMarkdown(
      report({
        machine: { ...base.machine, code: 'def5678 with uncommitted changes' },
        layers: { ...base.layers, soak },
      }),
    );
    expect(md).toContain('| code | def5678 with uncommitted changes |');
    expect(md).toContain('figures from the report on disk | 2026-11-24T17:00:00.000Z (code abc1234) |');
    // Reports written before the code was recorded say nothing of it.
    expect(renderBenchMarkdown(base)).not.toContain('| code |');
  });
});

describe('RSS trend of a short run', () => {
  it('is "not measured", saying why, when the run was too short to project', () => {
    const short = { ok: true, ...e2eFixture(), durationSeconds: 40 };
    short.rss = { ...short.rss, projectedHourMb: null };
    const figure = specFigures({ layers: {}, e2e: short }).find((f) => f.measure.includes('projected'));
    expect(figure).toMatchObject({ status: 'not measured', value: null });
    expect(figure?.note).toContain('too short');
  });
});

describe('newer layer report fields', () => {
  it("adds the speed layer's own freshness when its report has it", () => {
    const speed = fixture('bench-speed');
    speed.report = { ...speed.report, freshnessP99Ms: 2500, liveRecordsPerSecond: 5000 };
    const figure = specFigures({ layers: { speed }, e2e: null }).find((f) =>
      f.measure.includes('speed layer alone'),
    );
    expect(figure).toMatchObject({ value: 2500, status: 'gap', note: 'at 5,000 records/s' });
    expect(
      specFigures({ layers: { speed: fixture('bench-speed') }, e2e: null }).some((f) =>
        f.measure.includes('alone'),
      ),
    ).toBe(false);
  });
});

describe('soak figures', () => {
  const soakRun = (slopeMbPerMinute: number, peakMb: number): E2eResult => ({
    ...e2eFixture(),
    targetRate: 10_000,
    durationSeconds: 3_600,
    rss: { ...e2eFixture().rss, peakMb, slopeMbPerMinute },
  });
  /** A run of `minutes` whose RSS climbs 4 MB a minute while 70 minutes of state fill, then `after` a minute. */
  const longRun = (minutes: number, after: number): E2eResult => {
    const samples = Array.from({ length: minutes * 6 + 1 }, (_, i) => {
      const t = i * 10;
      const m = t / 60;
      return { t, rssMb: Math.round((300 + 4 * Math.min(m, 70) + after * Math.max(0, m - 70)) * 100) / 100 };
    });
    return {
      ...soakRun(0, Math.max(...samples.map((s) => s.rssMb))),
      retainMinutes: 70,
      durationSeconds: minutes * 60,
      rss: { ...e2eFixture().rss, samples, peakMb: Math.max(...samples.map((s) => s.rssMb)) },
    };
  };

  it('judges the peak against 1 GB and the hourly growth once the state is full against 5% of it', () => {
    const flat = soakFigures(longRun(90, 0.5));
    expect(flat.map((f) => [f.measure, f.status])).toEqual([
      ['speed-layer peak RSS over the soak', 'met'],
      ['speed-layer RSS growth per hour once its state is full', 'met'],
      ['freshness p99 over the soak (produced → visible in the API)', 'met'],
      ['speed layer consumed over the soak', 'reported'],
    ]);
    // The climb while the state fills is not the trend: 0.5 MB a minute after it is 30 MB an hour.
    expect(flat[1]!.value).toBe(30);
    expect(flat[1]!.note).toContain('minutes 72–90');
    const growing = soakFigures(longRun(90, 2));
    expect(growing[1]!.status).toBe('gap');
    expect(growing[1]!.value).toBe(120);
    expect(steadyTrend(longRun(90, 2))!.mbPerHour).toBeCloseTo(120, 0);
  });

  it('reports, without judging, the growth of a run too short for the state to fill', () => {
    const hour = soakFigures(soakRun(2, 1_000));
    expect(hour[0]!.status).toBe('met');
    expect(hour[1]).toMatchObject({
      measure: 'speed-layer RSS growth over the second half of the soak (state still filling)',
      status: 'reported',
      value: 60,
    });
    expect(hour[1]!.note).toContain('at least 82 min');
    expect(steadyTrend(longRun(81, 0))).toBeNull();
  });

  it('are carried into BENCH.md when a soak report is on disk, and only then', () => {
    const soak: LayerRun = { ranThisRun: false, ok: true, report: { run: soakRun(0, 700) } };
    const withSoak = specFigures({ layers: { soak }, e2e: null });
    expect(withSoak.filter((f) => f.part === 'soak')).toHaveLength(4);
    expect(specFigures({ layers: {}, e2e: null }).some((f) => f.part === 'soak')).toBe(false);
  });
});
