import { soakFigures } from '../soak/soak-figures.ts';
import { fmt, judge, reported, TARGETS } from './judge.ts';
import { list, num, str } from './read.ts';
import type { BenchReport, E2eResult, Figure, Peer } from './types.ts';

type Parts = Pick<BenchReport, 'layers' | 'e2e'>;

/** Every SPEC C performance figure, from the layer reports and the end-to-end run. */
export function specFigures(parts: Parts): Figure[] {
  const speed = parts.layers.speed?.report ?? null;
  const batch = parts.layers.batch?.report ?? null;
  const api = parts.layers.api?.report ?? null;
  const e2e = parts.e2e?.ok === false ? null : parts.e2e;
  const figures: Figure[] = [];

  const speedAds = num(speed, 'ads');
  const eventRate = num(speed, 'eventRate');
  const replayRate = num(speed, 'replay.speedLayerRecordsPerSecond');
  const replayEventRate = num(speed, 'replay.eventRate');
  const bareRate = num(speed, 'bareConsumerRecordsPerSecond');
  const parseRate = num(speed, 'parseConsumerRecordsPerSecond');
  const parseCeiling = bareRate && parseRate !== null ? Number((parseRate / bareRate).toFixed(2)) : null;
  figures.push(
    judge(
      'speed',
      'speed layer throughput (a topic backlog into Cassandra)',
      num(speed, 'speedLayerRecordsPerSecond', 'speed.recordsPerSecond'),
      'clicks/s',
      '>=',
      TARGETS.clicksPerSecond,
      [
        speedAds === null ? undefined : `${fmt(speedAds)} ads`,
        eventRate === null ? undefined : `${fmt(eventRate)} clicks/s of event time`,
      ]
        .filter((c) => c !== undefined)
        .join(', ') || undefined,
    ),

    judge(
      'speed',
      'speed layer / bare kafkajs consumer read rate',
      num(speed, 'speedLayerVsBare'),
      'ratio',
      '>=',
      TARGETS.speedVsBare,
      parseCeiling === null
        ? undefined
        : `a consumer that only JSON-parses each record reaches ${fmt(parseCeiling)} of bare here`,
    ),
    judge(
      'speed',
      'speed layer peak RSS (topic replay)',
      num(speed, 'speedLayerPeakRssMb'),
      'MB',
      '<=',
      TARGETS.rssMb,
    ),
  );

  // Newer bench:speed reports also replay a slow stream's backlog (reported, no target of its own).
  if (replayRate !== null) {
    figures.push(
      reported(
        'speed',
        "speed layer throughput, a slow stream's backlog replayed (nearly every click a new cell)",
        replayRate,
        'clicks/s',
        replayEventRate === null ? undefined : `${fmt(replayEventRate)} clicks/s of event time`,
      ),
    );
  }

  // Newer bench:speed reports also time probes on a live stream through the speed layer alone.
  if (speed !== null && 'freshnessP99Ms' in speed) {
    const live = num(speed, 'liveRecordsPerSecond');
    figures.push(
      judge(
        'speed',
        'freshness p99, speed layer alone (live stream, speed view read directly)',
        num(speed, 'freshnessP99Ms'),
        'ms',
        '<=',
        TARGETS.freshnessP99Ms,
        live === null ? undefined : `at ${fmt(live)} records/s`,
      ),
    );
  }

  const atRate = e2e
    ? `at ${fmt(e2e.sustainedPerSecond)} records/s processed (asked ${fmt(e2e.targetRate)}/s)`
    : undefined;
  figures.push(
    judge(
      'e2e',
      'end to end: sustained speed-layer rate while the generator runs',
      e2e ? e2e.sustainedPerSecond : null,
      'clicks/s',
      '>=',
      TARGETS.clicksPerSecond,
      e2e ? `generator put ${fmt(e2e.producedPerSecond)} records/s on the topic` : undefined,
    ),
    reported(
      'e2e',
      'freshness p50 (produced → visible in the API)',
      e2e?.freshness.p50Ms ?? null,
      'ms',
      atRate,
    ),
    judge(
      'e2e',
      'freshness p99 (produced → visible in the API)',
      e2e?.freshness.p99Ms ?? null,
      'ms',
      '<=',
      TARGETS.freshnessP99Ms,
      e2e && e2e.freshness.missing > 0
        ? `${e2e.freshness.missing} of ${e2e.freshness.probes} probes never became visible; ${atRate}`
        : atRate,
    ),
    judge('e2e', 'speed-layer peak RSS over the run', e2e?.rss.peakMb ?? null, 'MB', '<=', TARGETS.rssMb),
    // The hour-long bound is judged by the soak, which runs past the hour: a few minutes' slope is
    // mostly the sliding windows filling up, which stops once the longest is full.
    reported(
      'e2e',
      'speed-layer RSS projected to one hour (slope of the second half)',
      e2e?.rss.projectedHourMb ?? null,
      'MB',
      e2e
        ? e2e.rss.projectedHourMb === null
          ? `run of ${fmt(e2e.durationSeconds)} s too short to judge the trend (2 minutes at least)`
          : `slope ${fmt(e2e.rss.slopeMbPerMinute)} MB/min over the second half of ${fmt(e2e.durationSeconds)} s, windows still filling; the hour is judged by the soak`
        : undefined,
    ),
  );

  const peerRate = num(batch, 'peer.clicksPerSecond');
  const firstCopyRate = num(batch, 'firstCopyPeer.clicksPerSecond');
  const firstCopyVsPeer = peerRate && firstCopyRate ? peerRate / firstCopyRate : null;
  figures.push(
    judge(
      'batch',
      'batch recompute time / bare DuckDB query time',
      num(batch, 'recomputeVsPeerTime', 'recompute.vsPeerTime'),
      'ratio',
      '<=',
      TARGETS.recomputeVsPeer,
      firstCopyVsPeer === null
        ? undefined
        : `the peer's own query keeping the first copy in Kafka order, as the recompute does, takes ${fmt(firstCopyVsPeer)}× its time here`,
    ),
    reported('batch', 'batch recompute rate', num(batch, 'recompute.clicksPerSecond'), 'clicks/s'),
    reported('batch', 'batch view Cassandra write', num(batch, 'cassandra.rowsPerSecond'), 'rows/s'),
  );

  const scenarios = list(api, 'results');
  if (scenarios.length === 0) {
    figures.push(judge('api', 'API p99 (aggregated_count, popular_ads)', null, 'ms', '<=', TARGETS.apiP99Ms));
  }
  for (const s of scenarios) {
    const rps = num(s, 'reqPerSec');
    figures.push(
      judge(
        'api',
        `API p99: ${str(s, 'scenario', 'name') ?? 'scenario'}`,
        num(s, 'p99ms', 'p99Ms', 'latency.p99'),
        'ms',
        '<=',
        TARGETS.apiP99Ms,
        rps === null ? undefined : `${fmt(rps)} req/s`,
      ),
    );
  }
  // The memory bar measured over a long run (`npm run bench:soak`), when a soak report is on disk.
  const soak = parts.layers.soak?.report?.run as E2eResult | undefined;
  if (soak !== undefined) figures.push(...soakFigures(soak));
  return figures;
}

/** The peers measured beside our figures in the same run. */
export function peers(parts: Parts): Peer[] {
  const speed = parts.layers.speed?.report ?? null;
  const batch = parts.layers.batch?.report ?? null;
  const out: Peer[] = [];
  const bare = num(speed, 'bareConsumerRecordsPerSecond');
  const ours = num(speed, 'speedLayerRecordsPerSecond');
  out.push({
    part: 'speed',
    peer: 'bare kafkajs consumer (eachBatch, counts only)',
    value: bare,
    unit: 'records/s',
    ours: 'speed layer',
    oursValue: ours,
    ratio: bare && ours !== null ? ours / bare : null,
    ratioMeaning: 'ours / peer rate',
  });
  // Ceilings (newer bench:speed reports): the same consumer doing part of the speed layer's work.
  const ceilings: Array<[string, string]> = [
    ['parseConsumerRecordsPerSecond', 'ceiling: the same consumer, JSON.parse of every record only'],
    ['mapAggregateConsumerRecordsPerSecond', 'ceiling: the same consumer, map + aggregate nodes in memory'],
  ];
  for (const [field, label] of ceilings) {
    const rate = num(speed, field);
    if (rate === null) continue;
    out.push({
      part: 'speed',
      peer: 'bare kafkajs consumer (eachBatch, counts only)',
      value: bare,
      unit: 'records/s',
      ours: label,
      oursValue: rate,
      ratio: bare ? rate / bare : null,
      ratioMeaning: 'ours / peer rate',
    });
  }
  const peerRate = num(batch, 'peer.clicksPerSecond');
  const recompute = num(batch, 'recompute.clicksPerSecond');
  out.push({
    part: 'batch',
    peer: 'one bare DuckDB query (same aggregates, same Parquet files)',
    value: peerRate,
    unit: 'clicks/s',
    ours: 'batch recompute',
    oursValue: recompute,
    ratio: peerRate && recompute !== null ? recompute / peerRate : null,
    ratioMeaning: 'ours / peer rate',
  });
  // Newer bench:batch reports: the peer query with the recompute's dedup rule.
  const firstCopyRate = num(batch, 'firstCopyPeer.clicksPerSecond');
  if (firstCopyRate !== null) {
    out.push({
      part: 'batch',
      peer: 'the same DuckDB query, keeping the first copy of a click in Kafka order (arg_min, as the recompute)',
      value: firstCopyRate,
      unit: 'clicks/s',
      ours: 'batch recompute',
      oursValue: recompute,
      ratio: recompute !== null ? recompute / firstCopyRate : null,
      ratioMeaning: 'ours / peer rate',
    });
  }
  const writers = list(batch, 'writers');
  const duck = writers.find((w) => w.kind === 'duckdb');
  const pq = writers.find((w) => w.kind === 'parquetjs');
  const pqRate = num(pq, 'rowsPerSecond');
  const duckRate = num(duck, 'rowsPerSecond');
  const pqBytes = num(pq, 'bytesPerRow');
  const duckBytes = num(duck, 'bytesPerRow');
  out.push({
    part: 'batch',
    peer: `parquetjs-lite writer${pqBytes === null ? '' : ` (${fmt(pqBytes)} B/row)`}`,
    value: pqRate,
    unit: 'rows/s',
    ours: `DuckDB writer (archiver default)${duckBytes === null ? '' : `, ${fmt(duckBytes)} B/row`}`,
    oursValue: duckRate,
    ratio: pqRate && duckRate !== null ? duckRate / pqRate : null,
    ratioMeaning: 'ours / peer rate',
  });
  return out;
}
