import type { ClickEvent } from '../click-event/types.ts';

/** Shape of a synthetic click stream (defaults follow SPEC C's book-shaped workload). */
export interface GeneratorOptions {
  /** Same seed, same stream (default 1). */
  seed?: number;
  /** Distinct valid clicks to produce (duplicates and malformed records come on top). */
  clicks: number;
  /** Event time of the first click, epoch ms. */
  startMs: number;
  /** Ad catalogue size (default 1,000). */
  ads?: number;
  /** Zipf exponent of ad popularity; 0 = uniform (default 1.1). */
  skew?: number;
  /** Countries clicks come from (default 8 countries). */
  countries?: readonly string[];
  /** Event-time density: clicks per second of event time (default 200). */
  clicksPerSecond?: number;
  /**
   * A live stream's clock: when given, each click's event time is this clock's time (plus the
   * same jitter and lateness) instead of `startMs` + its position ÷ `clicksPerSecond`, so event
   * time keeps up with the wall clock even when the sender cannot keep up with its rate.
   */
  clock?: () => number;
  /** On-time clicks arrive up to this much out of order (default 3,000 ms). */
  outOfOrderMs?: number;
  /** Fraction of records that re-send an earlier click unchanged, like a client retry (default 0.05). */
  duplicateFraction?: number;
  /** Fraction of clicks whose event time is `lateByMs` behind the stream (default 0.01). */
  lateFraction?: number;
  /** How far behind the stream a late click is (default 5 minutes). */
  lateByMs?: number;
  /** Fraction of records that are malformed (default 0.01). */
  malformedFraction?: number;
  /** Partitions of the target topic, to fill `partition` as Kafka's default partitioner would (default 12). */
  partitions?: number;
  /** Prefix of ad ids (default `ad-`), so tests can keep their ads apart. */
  adPrefix?: string;
  /** Prefix of click ids (default `c-<seed>-`). */
  clickPrefix?: string;
}

/** One record to send, in send order. */
export interface GeneratedRecord {
  /** Message key (`ad_id`), or `null` for malformed records that have none. */
  key: string | null;
  /** The encoded event exactly as a producer sends it. */
  value: string;
  /** What the generator meant it to be; exactness tests recount rather than trust this label. */
  kind: 'valid' | 'duplicate' | 'late' | 'malformed';
  /** The normalised event for valid, duplicate and late records. */
  event?: ClickEvent;
  /** The partition Kafka's default partitioner assigns to `key` (0 for unkeyed records). */
  partition: number;
}
