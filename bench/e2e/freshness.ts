import { sleep } from '../../shared/async/wait-for.ts';

const MINUTE = 60_000;

export interface ProbeTarget {
  collectorUrl: string;
  apiUrl: string;
  /** Ad id prefix no generated click uses, so a probe's count is 0 until the probe lands. */
  adPrefix: string;
  /** How long a probe may take before it counts as never visible. */
  timeoutMs: number;
  /** Poll interval during the first 2 s (default 50 ms); 250 ms after that. */
  pollMs?: number;
}

/**
 * One freshness probe: a click for an ad of its own is POSTed to the collector, and the API is
 * polled until that ad's count for the click's minute is 1. Returns the milliseconds from just
 * before the POST to the first answer showing it, or null after the timeout.
 */
export async function probe(target: ProbeTarget, n: number): Promise<number | null> {
  const adId = `${target.adPrefix}${n}`;
  const sentAt = Date.now();
  const minute = Math.floor(sentAt / MINUTE) * MINUTE;
  const click = {
    click_id: `${adId}-click`,
    ad_id: adId,
    click_timestamp: sentAt,
    user_id: 'bench-probe',
    ip: '192.0.2.1',
    country: 'US',
  };
  const started = performance.now();
  const deadline = started + target.timeoutMs;
  // A 503 (Kafka busy) is retried as a real client would; the wait counts towards freshness.
  for (;;) {
    const posted = await fetch(`${target.collectorUrl}/v1/clicks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(click),
    });
    await posted.arrayBuffer();
    if (posted.status === 202) break;
    if (posted.status !== 503 || performance.now() > deadline)
      throw new Error(`collector answered ${posted.status} to a probe`);
    await sleep(200);
  }
  const url = `${target.apiUrl}/v1/ads/${adId}/aggregated_count?from=${minute}&to=${minute + MINUTE}`;
  while (performance.now() < deadline) {
    const response = await fetch(url);
    if (response.ok) {
      const body = (await response.json()) as { count?: number };
      if (body.count === 1) return performance.now() - started;
    } else {
      await response.arrayBuffer();
    }
    // Fine-grained while the answer could still meet the 2 s target, gentler afterwards so that
    // slow probes do not load the API (and the machine) they are measuring.
    await sleep(performance.now() - started < 2_000 ? (target.pollMs ?? 50) : 250);
  }
  return null;
}

/** One probe of `probeLoop`: when it was sent (epoch ms) and its latency (null: never visible). */
export interface ProbeSample {
  sentAt: number;
  ms: number | null;
}

/**
 * Sends one probe every `everyMs` until `signal` aborts, each awaited on its own so a slow one
 * does not delay the next; resolves with every probe's send time and latency.
 */
export async function probeLoop(
  target: ProbeTarget,
  everyMs: number,
  signal: AbortSignal,
  firstN = 1,
): Promise<ProbeSample[]> {
  const pending: Array<Promise<ProbeSample>> = [];
  let n = firstN;
  while (!signal.aborted) {
    const sentAt = Date.now();
    pending.push(
      probe(target, n++).then(
        (ms) => ({ sentAt, ms }),
        () => ({ sentAt, ms: null }),
      ),
    );
    await sleep(everyMs);
  }
  return Promise.all(pending);
}
