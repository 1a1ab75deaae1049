/** Which part of the benchmark produced a figure. */
export type BenchPart = 'speed' | 'batch' | 'api' | 'e2e' | 'soak';

/** The outcome of one layer benchmark (`npm run bench:<part>`) inside `npm run bench`. */
export interface LayerRun {
  /** Whether this `npm run bench` ran it; false: the report on disk is from an earlier run. */
  ranThisRun: boolean;
  ok: boolean;
  seconds?: number;
  /** Its JSON report as written (fields added later are kept as they are). */
  report: Record<string, unknown> | null;
  /** When the layer report says it was measured, if it says. */
  measuredAt?: string;
  error?: string;
}

/** One RSS sample of the speed-layer process. */
export interface RssSample {
  /** Seconds since the generator started. */
  t: number;
  rssMb: number;
}

/** Figures of the end-to-end run: generator → Kafka → speed layer → Cassandra → API. */
export interface E2eResult {
  /** Generator rate asked for, records/s. */
  targetRate: number;
  /**
   * Minutes of state the speed layer retains (its longest window plus a margin): its memory
   * grows until then; absent in reports from before it was recorded.
   */
  retainMinutes?: number;
  durationSeconds: number;
  ads: number;
  partitions: number;
  via: 'kafka' | 'collector';
  /** Records the generator put on the topic per second (topic end offsets over the run). */
  producedPerSecond: number;
  /** Records the speed layer consumed per second over the run after warm-up (its `/metrics`). */
  sustainedPerSecond: number;
  /**
   * Records not yet consumed when the generator stopped, and how long until every record was
   * consumed and covered by a snapshot.
   */
  lagAtEnd: number;
  drainSeconds: number | null;
  /**
   * Longest time the snapshot offsets stood still while records waited (what a crash at that
   * moment would replay); absent in reports from before it was measured.
   */
  snapshotStallSeconds?: number;
  /** Times the speed layer paused its input for backpressure while the generator ran (its `/metrics`). */
  backpressurePauses?: number;
  freshness: {
    probes: number;
    /** Probes not visible in the API within the probe timeout. */
    missing: number;
    p50Ms: number | null;
    p99Ms: number | null;
    maxMs: number | null;
    /** Each probe: seconds since the generator started, latency in ms (null: never visible). */
    samples?: Array<[number, number | null]>;
  };
  rss: {
    samples: RssSample[];
    peakMb: number;
    /** Least-squares slope over the second half of the generator's run, MB per minute. */
    slopeMbPerMinute: number;
    /** Last sample plus the slope carried on to one hour of traffic; null for runs under 2 minutes. */
    projectedHourMb: number | null;
  };
  /** Supervisor restarts of any service during the run (a crash is a finding). */
  restarts: string[];
}

/** One figure of SPEC Part C next to its target. */
export interface Figure {
  part: BenchPart;
  measure: string;
  value: number | null;
  unit: string;
  /** `>=` or `<=` the target value; `null` for a figure reported without a target. */
  comparator: '>=' | '<=' | null;
  targetValue: number | null;
  status: 'met' | 'gap' | 'not measured' | 'reported';
  /** For a gap: how far off, in words. */
  gap?: string;
  note?: string;
}

/** A peer measured in the same run, next to what it is compared with. */
export interface Peer {
  part: BenchPart;
  peer: string;
  value: number | null;
  unit: string;
  ours: string;
  oursValue: number | null;
  /** How ours compares, as `ratioMeaning` says (e.g. ours / peer rate). */
  ratio: number | null;
  ratioMeaning: string;
}

export interface MachineInfo {
  /** Commit measured (`codeVersion`); absent in reports written before it was recorded. */
  code?: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  loadAverage1m: number;
  /** Service name → version or health detail. */
  services: Record<string, string>;
}

/** reports/bench.json. */
export interface BenchReport {
  benchmark: 'adclick';
  scale: 'quick' | 'full';
  startedAt: string;
  finishedAt: string;
  totalSeconds: number;
  machine: MachineInfo;
  /** The layer benchmarks, and the soak's report as found on disk (`npm run bench` never runs it). */
  layers: Partial<Record<'speed' | 'batch' | 'api' | 'soak', LayerRun>>;
  e2e: (E2eResult & { ok: boolean; error?: string }) | null;
  figures: Figure[];
  peers: Peer[];
}
