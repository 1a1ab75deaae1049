import type { ViewReader } from '../../shared/aggregate-store/types.ts';
import { MINUTE_MS, minuteOf } from '../../shared/aggregation/time.ts';
import { toWire } from '../../shared/click-event/click-event.ts';
import type { ClickPublisher } from '../../shared/click-publisher/types.ts';
import { isRetryable } from '../../shared/errors/errors.ts';
import { generateClicks } from '../../shared/generator/generator.ts';
import { partitionForKey } from '../../shared/partitioning/partition-for-key.ts';

/** The live phase of bench:speed: a paced stream with probe clicks, timed until readable. */
export interface FreshnessOptions {
  publisher: ClickPublisher;
  /** The speed view as the serving layer reads it. */
  view: ViewReader;
  topic: string;
  partitions: number;
  ads: number;
  /** How long the live stream runs. */
  seconds: number;
  /** Background clicks per second, event time = wall-clock time. */
  liveRate: number;
  /** One probe click every this many ms. */
  probeEveryMs: number;
  /** Distinguishes this run's probe ids. */
  runId: string;
}

export interface FreshnessResult {
  liveRecords: number;
  liveSeconds: number;
  probes: number;
  /** Probes that became readable within the wait after the stream stopped. */
  visible: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** Each probe in send order: ms since the live phase began, and its freshness (null: never visible). */
  samples: Array<[number, number | null]>;
}

const POLL_MS = 50;
const DRAIN_WAIT_MS = 15_000;
/** Background records per publish at most (a second at the SPEC peak; ~9 MB, far below the producer's bound). */
const STREAM_BATCH_RECORDS = 50_000;

/**
 * Produces a live stream paced by event time (each record is sent once the wall clock reaches its
 * event time) with a probe click of its own ad every `probeEveryMs`, and polls the speed view for
 * each probe: freshness = probe sent → its cell readable with count 1.
 */
export async function measureFreshness(o: FreshnessOptions): Promise<FreshnessResult> {
  const startMs = Date.now();
  const stream = generateClicks({
    seed: 7,
    clicks: Math.max(1, Math.round(o.liveRate * o.seconds)),
    startMs,
    ads: o.ads,
    countries: ['US', 'KR', 'DE', 'JP', 'GB', 'FR', 'BR', 'IN'],
    clicksPerSecond: Math.max(1, o.liveRate),
    duplicateFraction: 0.05,
    lateFraction: 0.01,
    malformedFraction: 0.001,
    partitions: o.partitions,
    clickPrefix: `live-${o.runId}-`,
  });
  const pending = new Map<string, { minute: number; sentAt: number; index: number }>();
  const samples: Array<[number, number | null]> = [];
  const latencies: number[] = [];
  let probes = 0;
  let liveRecords = 0;
  let next = stream.next();
  let nextProbeAt = startMs;
  let polling = true;
  let endedAt = Number.POSITIVE_INFINITY;
  const poller = (async () => {
    while (polling || (pending.size > 0 && Date.now() < endedAt + DRAIN_WAIT_MS)) {
      await Promise.all(
        [...pending].map(async ([adId, p]) => {
          // A failed read (Cassandra busy under the load) is retried at the next poll.
          const cells = await o.view
            .minuteCounts(adId, 'all', p.minute, p.minute + MINUTE_MS)
            .catch(() => [] as Array<{ count: number }>);
          if (!cells.some((c) => c.count >= 1) || !pending.delete(adId)) return;
          latencies.push(Date.now() - p.sentAt);
          samples[p.index]![1] = Date.now() - p.sentAt;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  const until = startMs + o.seconds * 1000;
  let producing = true;
  // Probes go on their own clock: a background publish that takes a while must not delay them.
  const probeLoop = async () => {
    while (producing && Date.now() < until) {
      const adId = `probe-${o.runId}-${probes++}`;
      for (;;) {
        const now = Date.now();
        const event = {
          clickId: adId,
          adId,
          timestampMs: now,
          userId: 'u-probe',
          ip: '192.0.2.1',
          country: 'US',
        };
        const record = {
          key: adId,
          value: JSON.stringify(toWire(event)),
          partition: partitionForKey(adId, o.partitions),
        };
        const index = samples.length;
        pending.set(adId, { minute: minuteOf(now), sentAt: now, index });
        samples.push([now - startMs, null]);
        try {
          await o.publisher.publish(o.topic, [record]);
          break;
        } catch (error) {
          // Refused while the background stream fills the producer: sent again, timed from then.
          if (!isRetryable(error)) throw error;
          pending.delete(adId);
          samples.splice(index, 1);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      nextProbeAt += o.probeEveryMs;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextProbeAt - Date.now())));
    }
  };
  const streamLoop = async () => {
    while (producing && Date.now() < until) {
      const now = Date.now();
      const batch: Array<{ key: string | null; value: string; partition: number }> = [];
      // Bounded, so a stream that fell behind does not fill the producer the probes share.
      while (
        !next.done &&
        (next.value.event?.timestampMs ?? 0) <= now &&
        batch.length < STREAM_BATCH_RECORDS
      ) {
        batch.push({ key: next.value.key, value: next.value.value, partition: next.value.partition });
        next = stream.next();
      }
      if (batch.length > 0) {
        liveRecords += batch.length;
        await o.publisher.publish(o.topic, batch);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  let liveSeconds = 0;
  try {
    const stopOnFailure = (loop: Promise<void>) =>
      loop.catch((error: unknown) => {
        producing = false;
        throw error;
      });
    await Promise.all([stopOnFailure(probeLoop()), stopOnFailure(streamLoop())]);
    liveSeconds = (Date.now() - startMs) / 1000;
  } finally {
    // Also when producing failed: the poller stops before the error goes up.
    producing = false;
    endedAt = Date.now();
    polling = false;
    await poller;
  }
  latencies.sort((a, b) => a - b);
  const pct = (q: number) =>
    latencies.length === 0
      ? null
      : latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!;
  return {
    liveRecords,
    liveSeconds: Number(liveSeconds.toFixed(1)),
    probes,
    visible: latencies.length,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    maxMs: latencies.at(-1) ?? null,
    samples,
  };
}
