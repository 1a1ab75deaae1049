import { parsePrometheus } from '../../serving-layer/api/pipeline-health.ts';

const CONSUMED = 'adclick_speed_events_consumed_total';

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
    let raw: number | undefined;
    try {
      const res = await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) {
        raw = 0;
        for (const [name, value] of parsePrometheus(await res.text())) if (name === CONSUMED) raw += value;
      }
    } catch {
      // Not answering (busy or restarting): keep the last total.
    }
    if (raw === undefined) return carried + lastRaw;
    if (raw < lastRaw) carried += lastRaw;
    lastRaw = raw;
    return carried + raw;
  };
}

/**
 * The speed layer's backpressure pauses so far (`adclick_speed_backpressure_pauses_total`), or
 * null when its `/metrics` does not answer: each pause holds every partition's input back.
 */
export async function backpressurePauses(metricsUrl: string): Promise<number | null> {
  try {
    const res = await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return null;
    let total = 0;
    for (const [name, value] of parsePrometheus(await res.text()))
      if (name === 'adclick_speed_backpressure_pauses_total') total += value;
    return total;
  } catch {
    return null;
  }
}
