import { type AggregationDefinition, definitionFrom } from '../shared/aggregation/definition.ts';
import { MINUTE_MS } from '../shared/aggregation/time.ts';
import type { AdclickConfig } from '../shared/config/types.ts';
import { AdclickError, ErrorCodes } from '../shared/errors/errors.ts';
import type { AggregateOptions } from './aggregate/state-types.ts';

/** Settings of the speed layer process. */
export interface SpeedLayerOptions {
  topic: string;
  dlqTopic: string;
  /** Kafka consumer group; also the key of the snapshots in Cassandra (default `adclick-speed`). */
  groupId: string;
  definition: AggregationDefinition;
  allowedLatenessMs: number;
  idleTimeoutMs: number;
  /** How often changed cells, top lists and snapshots are written (default 500 ms, at most 1 s). */
  flushIntervalMs: number;
  /**
   * Top lists are ranked and written at most this often (default 1000 ms, at least the flush
   * interval): a 500 ms flush then writes cells twice as often as the lists, which are the larger
   * part of the bytes (a list of N ads per partition, slice, window and end minute touched).
   */
  topListIntervalMs: number;
  /**
   * Snapshots are taken at most this often (default 2000 ms, at least the flush interval), always
   * at a flush and saved after that flush's rows. Each one encodes a partition's whole state
   * (every retained minute), which grows with the window; taking fewer costs only a slightly
   * longer replay after a crash.
   */
  snapshotIntervalMs: number;
  /** Closed minutes kept in memory for sliding windows (default: largest window + 10 minutes). */
  retainMinutes: number;
  /**
   * Kafka group session timeout (default 30 s): how long a crashed member holds its partitions
   * before the group moves them. Lower it (≥ the broker's 6 s minimum) for faster failover.
   */
  sessionTimeoutMs: number;
  /**
   * Produce a valid click found in a partition its `ad_id` does not hash to again, keyed by
   * `ad_id`, and count it there (default true), so every ad lives in one partition and the
   * per-partition top lists merge exactly. False: count it where it arrived.
   */
  rekey: boolean;
  /**
   * Backpressure: fetching from Kafka stops while more than this many rows (changed cells not yet
   * written, top-list rows and closed-minute markers queued) wait for the store, and restarts at
   * half of it (default 500,000: roughly 100 MB of queued rows).
   */
  maxPendingRows: number;
  /**
   * Backpressure: fetching also stops while at least a tenth of `maxPendingRows` waits to be
   * written and the V8 heap in use plus external memory (the typed arrays of the click id
   * tables) is above this many MiB (default 640), keeping the process under the 1 GB RSS budget
   * when the store is slow.
   */
  maxHeapMb: number;
  /** `/metrics` listener; `undefined` serves none (tests). */
  metrics?: { host: string; port: number };
}

export const SPEED_DEFAULTS = {
  groupId: 'adclick-speed',
  flushIntervalMs: 500,
  snapshotIntervalMs: 2000,
  topListIntervalMs: 1000,
  sessionTimeoutMs: 30_000,
  retainMarginMinutes: 10,
  maxPendingRows: 500_000,
  maxHeapMb: 640,
} as const;

/** The speed layer's options from the configuration, with `overrides` on top. */
export function speedOptionsFrom(
  config: AdclickConfig,
  overrides: Partial<SpeedLayerOptions> = {},
): SpeedLayerOptions {
  const definition = definitionFrom(config);
  return {
    topic: config.kafka.topic,
    dlqTopic: config.kafka.dlqTopic,
    groupId: SPEED_DEFAULTS.groupId,
    definition,
    allowedLatenessMs: config.aggregation.allowedLatenessMs,
    idleTimeoutMs: config.aggregation.idleTimeoutMs,
    flushIntervalMs: SPEED_DEFAULTS.flushIntervalMs,
    snapshotIntervalMs: SPEED_DEFAULTS.snapshotIntervalMs,
    topListIntervalMs: SPEED_DEFAULTS.topListIntervalMs,
    sessionTimeoutMs: SPEED_DEFAULTS.sessionTimeoutMs,
    retainMinutes: Math.max(...definition.windowsMinutes, 1) + SPEED_DEFAULTS.retainMarginMinutes,
    rekey: true,
    maxPendingRows: SPEED_DEFAULTS.maxPendingRows,
    maxHeapMb: SPEED_DEFAULTS.maxHeapMb,
    metrics: { host: config.bindHost, port: config.ports.metrics },
    ...overrides,
  };
}

/** The aggregate node's settings for the speed layer's options (one set for every partition). */
export function aggregateOptionsOf(o: SpeedLayerOptions): AggregateOptions {
  return {
    definition: o.definition,
    allowedLatenessMs: o.allowedLatenessMs,
    idleTimeoutMs: o.idleTimeoutMs,
    retainMs: o.retainMinutes * MINUTE_MS,
    // Re-keyed clicks are counted in their ad's partition only.
    keyedByAd: o.rekey,
  };
}

/**
 * @throws AdclickError `CONFIG_INVALID` naming the failing option.
 */
export function validateSpeedOptions(o: SpeedLayerOptions): void {
  const fail = (path: string, reason: string): never => {
    throw new AdclickError(ErrorCodes.CONFIG_INVALID, `speed.${path}: ${reason}`, { details: { path } });
  };
  if (o.topic.trim() === '') fail('topic', 'must not be empty');
  if (o.dlqTopic.trim() === '' || o.dlqTopic === o.topic)
    fail('dlqTopic', 'must be set and differ from topic');
  if (o.groupId.trim() === '') fail('groupId', 'must not be empty');
  if (!Number.isInteger(o.flushIntervalMs) || o.flushIntervalMs < 10 || o.flushIntervalMs > 1000)
    fail('flushIntervalMs', `expected 10–1000 ms, got ${o.flushIntervalMs}`);
  if (
    !Number.isInteger(o.topListIntervalMs) ||
    o.topListIntervalMs < o.flushIntervalMs ||
    o.topListIntervalMs > 1000
  )
    fail(
      'topListIntervalMs',
      `expected a whole number from the flush interval (${o.flushIntervalMs} ms) to 1000 ms, got ${o.topListIntervalMs}`,
    );
  if (!Number.isInteger(o.snapshotIntervalMs) || o.snapshotIntervalMs < o.flushIntervalMs)
    fail(
      'snapshotIntervalMs',
      `expected a whole number ≥ the flush interval (${o.flushIntervalMs} ms), got ${o.snapshotIntervalMs}`,
    );
  if (!Number.isInteger(o.sessionTimeoutMs) || o.sessionTimeoutMs < 1000)
    fail('sessionTimeoutMs', `expected a whole number ≥ 1000 ms, got ${o.sessionTimeoutMs}`);
  const largest = Math.max(...o.definition.windowsMinutes, 1);
  if (!Number.isInteger(o.retainMinutes) || o.retainMinutes < largest)
    fail(
      'retainMinutes',
      `expected a whole number ≥ the largest window (${largest}), got ${o.retainMinutes}`,
    );
  if (!Number.isInteger(o.maxPendingRows) || o.maxPendingRows < 1)
    fail('maxPendingRows', `expected a whole number ≥ 1, got ${o.maxPendingRows}`);
  if (!(o.maxHeapMb >= 64)) fail('maxHeapMb', `expected ≥ 64 MiB, got ${o.maxHeapMb}`);
  if (!(o.allowedLatenessMs >= 0)) fail('allowedLatenessMs', `expected ≥ 0, got ${o.allowedLatenessMs}`);
  if (!(o.idleTimeoutMs > 0)) fail('idleTimeoutMs', `expected > 0, got ${o.idleTimeoutMs}`);
}
