import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoresUsed } from './process-cpu.ts';

/**
 * reports/bench-speed.json. Other tools read it (the combined `npm run bench`): fields are only
 * ever added, never renamed or removed. Nullable fields are null when their phase was skipped.
 */
export interface SpeedReport {
  clicks: number;
  records: number;
  ads: number;
  partitions: number;
  flushIntervalMs: number | 'default';
  produceRecordsPerSecond: number;
  bareConsumerRecordsPerSecond: number;
  speedLayerRecordsPerSecond: number;
  speedLayerVsBare: number;
  /** A kafkajs consumer that JSON-parses every record and does nothing else (a ceiling). */
  parseConsumerRecordsPerSecond?: number;
  /** A kafkajs consumer running the map and aggregate nodes in memory, writing nothing (a ceiling). */
  mapAggregateConsumerRecordsPerSecond?: number;
  speedLayerSeconds: number;
  speedLayerStartupSeconds: number;
  /** Peak over the whole run (backlog and live phase). */
  speedLayerPeakRssMb: number;
  targets: { recordsPerSecond: number; vsBare: number; rssMb: number; freshnessP99Ms: number };
  measuredAt: string;
  speedLayerBacklogPeakRssMb: number;
  /** Cores used over the backlog by the speed process and the local Cassandra and Kafka. */
  backlogCores?: CoresUsed;
  /** RSS of the speed process once a second from its start to the end of the live phase. */
  speedLayerRssSamplesMb: number[];
  liveSeconds: number | null;
  liveRecordsPerSecond: number | null;
  freshnessProbes: number | null;
  freshnessProbesVisible: number | null;
  freshnessP50Ms: number | null;
  freshnessP99Ms: number | null;
  freshnessMaxMs: number | null;
  /** Per probe in send order: [ms since the live phase began, freshness ms or null]. */
  freshnessSamples?: Array<[number, number | null]>;
  /** Clicks per second of event time in the backlog (`CLICKS / 600` in reports without it). */
  eventRate?: number;
  /**
   * The same measure on a slow stream's backlog replayed (ten minutes of event time, so nearly
   * every click is a new cell), from a second run of this command; null when skipped.
   */
  replay?: {
    clicks: number;
    records: number;
    eventRate: number;
    speedLayerRecordsPerSecond: number;
    speedLayerVsBare: number;
    speedLayerPeakRssMb: number;
  } | null;
}

const FIELDS: Array<[string, string]> = [
  [
    'clicks, records, ads, partitions',
    'scale: distinct clicks asked for, records produced (with duplicates and malformed ones), ad catalogue, topic partitions',
  ],
  ['flushIntervalMs', "the speed layer's flush interval (`default` = its built-in default)"],
  ['produceRecordsPerSecond', 'producing the backlog (idempotent producer, acks=all)'],
  ['bareConsumerRecordsPerSecond', 'a kafkajs eachBatch consumer that only counts, same topic (the peer)'],
  [
    'speedLayerRecordsPerSecond, speedLayerSeconds',
    "backlog: from the speed process's first partition claim (assignment, before any record is read) until every partition's snapshot is at its end offset (cells, top lists and snapshots written; snapshots are taken at most every 2 s, so up to 2 s of it is that interval)",
  ],
  ['speedLayerVsBare', 'speedLayerRecordsPerSecond / bareConsumerRecordsPerSecond'],
  [
    'parseConsumerRecordsPerSecond',
    'the same consumer doing `JSON.parse` of every record and nothing else: a ceiling for any speed layer that reads the clicks in Node, on these cores',
  ],
  [
    'mapAggregateConsumerRecordsPerSecond',
    "the same consumer running the speed layer's map node (validation, normalisation) and aggregate node (dedup, minute windows) in memory, writing nothing: the gap from here to the speed layer is the write path, ranking and snapshots",
  ],
  ['speedLayerStartupSeconds', 'spawn to first partition claim'],
  ['speedLayerPeakRssMb', 'peak RSS of the speed process over the whole run'],
  ['speedLayerBacklogPeakRssMb', 'peak RSS until the backlog was caught up'],
  [
    'backlogCores',
    "cores used over the backlog (CPU seconds / wall seconds, from /proc) by the speed process and by the local Cassandra and Kafka that `adclick up` started (null when not local): how the machine's cores were shared",
  ],
  ['speedLayerRssSamplesMb', 'RSS once a second, from spawn to the end of the live phase'],
  [
    'liveSeconds, liveRecordsPerSecond',
    'live phase: records produced paced by event time (event time = wall clock), with probes',
  ],
  [
    'freshnessProbes, freshnessProbesVisible',
    'probe clicks sent (one per `--probe-every` ms, an ad of their own) and how many became readable',
  ],
  [
    'freshnessP50Ms, freshnessP99Ms, freshnessMaxMs',
    "probe sent to Kafka → its cell readable with count 1 through the serving layer's speed view reader (`minuteCounts`), polled every 50 ms",
  ],
  [
    'freshnessSamples',
    'each probe in send order: [ms since the live phase began, its freshness in ms, or null if never visible]',
  ],
  ['targets', 'SPEC C targets'],
  [
    'eventRate',
    'clicks per second of event time in the backlog: by default the SPEC peak, 50,000/s, as a stream arriving at that rate has (a minute holds 3M clicks)',
  ],
  [
    'replay',
    'the backlog measure again on a slow stream replayed (the same clicks spread over ten minutes of event time: nearly every click a new cell, as when catching up after an outage); `--replay-clicks=0` skips it',
  ],
];

export function writeSpeedReport(dir: string, r: SpeedReport): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench-speed.json'), `${JSON.stringify(r, null, 2)}\n`);
  const ok = (pass: boolean) => (pass ? 'meets' : 'misses');
  const ratio = (rate: number, bare: number) => (rate / bare).toFixed(3);
  const live =
    r.liveSeconds === null
      ? ['| live phase | skipped (`--live-seconds=0`) | |']
      : [
          `| live phase | ${r.liveRecordsPerSecond} records/s for ${r.liveSeconds} s | |`,
          `| freshness p50 / p99 / max | ${r.freshnessP50Ms} / ${r.freshnessP99Ms} / ${r.freshnessMaxMs} ms (${r.freshnessProbesVisible} of ${r.freshnessProbes} probes) | p99 ≤ ${r.targets.freshnessP99Ms} (${ok(r.freshnessP99Ms !== null && r.freshnessP99Ms <= r.targets.freshnessP99Ms && r.freshnessProbesVisible === r.freshnessProbes)}) |`,
        ];
  writeFileSync(
    join(dir, 'bench-speed.md'),
    [
      '# Speed layer benchmark',
      '',
      `${r.records} records (${r.clicks} distinct clicks + duplicates and malformed ones) over ${r.ads} Zipf-skewed ads, ${r.partitions} partitions, ${r.eventRate ?? Math.round(r.clicks / 600)} clicks/s of event time, measured ${r.measuredAt}.`,
      '',
      '| measure | value | target |',
      '| --- | --- | --- |',
      `| produce (idempotent, acks=all) | ${r.produceRecordsPerSecond} records/s | |`,
      `| bare kafkajs eachBatch consumer | ${r.bareConsumerRecordsPerSecond} records/s | (peer) |`,
      ...(r.parseConsumerRecordsPerSecond === undefined
        ? []
        : [
            `| kafkajs consumer, JSON.parse of every record only | ${r.parseConsumerRecordsPerSecond} records/s (${ratio(r.parseConsumerRecordsPerSecond, r.bareConsumerRecordsPerSecond)} of bare) | (ceiling) |`,
          ]),
      ...(r.mapAggregateConsumerRecordsPerSecond === undefined
        ? []
        : [
            `| kafkajs consumer, map + aggregate nodes in memory | ${r.mapAggregateConsumerRecordsPerSecond} records/s (${ratio(r.mapAggregateConsumerRecordsPerSecond, r.bareConsumerRecordsPerSecond)} of bare) | (ceiling) |`,
          ]),
      `| speed layer, partitions assigned → caught up | ${r.speedLayerRecordsPerSecond} records/s | ≥ ${r.targets.recordsPerSecond} (${ok(r.speedLayerRecordsPerSecond >= r.targets.recordsPerSecond)}) |`,
      `| speed layer / bare consumer | ${r.speedLayerVsBare} | ≥ ${r.targets.vsBare} (${ok(r.speedLayerVsBare >= r.targets.vsBare)}) |`,
      `| speed layer peak RSS (backlog / whole run) | ${r.speedLayerBacklogPeakRssMb} / ${r.speedLayerPeakRssMb} MB | ≤ ${r.targets.rssMb} (${ok(r.speedLayerPeakRssMb <= r.targets.rssMb)}) |`,
      ...(r.backlogCores === undefined
        ? []
        : [
            `| cores used over the backlog: speed layer / Cassandra / Kafka | ${r.backlogCores.speedLayer ?? '-'} / ${r.backlogCores.cassandra ?? '-'} / ${r.backlogCores.kafka ?? '-'} | |`,
          ]),
      `| speed layer start-up to partitions assigned | ${r.speedLayerStartupSeconds} s | |`,
      ...live,
      ...(r.replay == null
        ? []
        : [
            `| slow stream replayed: ${r.replay.records} records, ${r.replay.eventRate} clicks/s of event time | ${r.replay.speedLayerRecordsPerSecond} records/s (${r.replay.speedLayerVsBare} of bare), peak RSS ${r.replay.speedLayerPeakRssMb} MB | (reported) |`,
          ]),
      '',
      '## Fields of bench-speed.json',
      '',
      '| field | meaning |',
      '| --- | --- |',
      ...FIELDS.map(([f, m]) => `| ${f} | ${m} |`),
      '',
    ].join('\n'),
  );
}
