/** Figures about the rest of the pipeline the dashboard shows, read from their `/metrics` pages. */
export interface PipelineFigures {
  /** Summed sample values by metric name (only names that speak of lag, lateness, DLQ or rejects). */
  metrics: Record<string, number>;
  /** Which endpoints answered. */
  reachable: string[];
}

/** Reads what it can of the pipeline's health; never throws. */
export type PipelineHealth = () => Promise<PipelineFigures>;

/** Matches the speed layer's, archiver's, batch layer's and collector's counters the dashboard shows. */
const INTERESTING =
  /(lag|late|dlq|reject|watermark|processed|consumed|clicks|records_total|events_total|failures_total|queue_jobs)/;

/**
 * Scrapes Prometheus text from the other layers' metrics endpoints. Unreachable endpoints are
 * skipped: the dashboard shows what is known, not an error page.
 */
export function scrapeMetrics(urls: readonly string[], timeoutMs = 800): PipelineHealth {
  return async () => {
    const metrics: Record<string, number> = {};
    const reachable: string[] = [];
    await Promise.all(
      urls.map(async (url) => {
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
          if (!res.ok) return;
          for (const [name, value] of parsePrometheus(await res.text())) {
            if (INTERESTING.test(name)) metrics[name] = (metrics[name] ?? 0) + value;
          }
          reachable.push(url);
        } catch {
          // not running: leave it out
        }
      }),
    );
    return { metrics, reachable: reachable.sort() };
  };
}

/** Sample name (labels dropped) and value of each line of a Prometheus text page. */
export function* parsePrometheus(body: string): Iterable<[string, number]> {
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const value = Number(match[2]);
    if (Number.isFinite(value) && !match[1]!.endsWith('_bucket')) yield [match[1]!, value];
  }
}
