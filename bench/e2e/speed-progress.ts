import { parsePrometheus } from '../../serving-layer/api/pipeline-health.ts';

/**
 * The sum of one metric's samples (over its labels) on the speed layer's `/metrics`, or null
 * when it does not answer (busy or restarting).
 */
async function metricSum(metricsUrl: string, metric: string): Promise<number | null> {
  try {
    const res = await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return null;
    let total = 0;
    for (const [name, value] of parsePrometheus(await res.text())) if (name === metric) total += value;
    return total;
  } catch {
    return null;
  }
}

/**
 * Records the speed layer has consumed so far, from its `/metrics` (summed over outcomes: counted,
 * duplicate, late, rejected). A restarted process starts its counter again from zero; the total
 * carries the earlier process's count over, so it counts records replayed after a restart twice
 * (restarts are reported beside it). Resolves to the last known total when `/metrics` does not
 * answer.
 */
export function consumedCounter(metricsUrl: string): () => Promise<number> {
  let carried = 0;
  let lastRaw = 0;
  return async () => {
    const raw = await metricSum(metricsUrl, 'adclick_speed_events_consumed_total');
    if (raw === null) return carried + lastRaw;
    if (raw < lastRaw) carried += lastRaw;
    lastRaw = raw;
    return carried + raw;
  };
}

/**
 * The speed layer's backpressure pauses so far (`adclick_speed_backpressure_pauses_total`), or
 * null when its `/metrics` does not answer: each pause holds every partition's input back.
 */
export function backpressurePauses(metricsUrl: string): Promise<number | null> {
  return metricSum(metricsUrl, 'adclick_speed_backpressure_pauses_total');
}
