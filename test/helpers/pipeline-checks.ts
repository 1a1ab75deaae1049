/**
 * What end-to-end and fault tests assert on a running pipeline: the query API's answers against an
 * independent recount, a replay of the stream's hours, and the reconciliation reports of its days.
 */
import { expect } from 'vitest';
import { HOUR_MS, hourOf, isoDate, MINUTE_MS } from '../../shared/aggregation/time.ts';
import { mapLimit } from '../../shared/async/map-limit.ts';
import { waitFor } from '../../shared/async/wait-for.ts';
import type { GeneratedRecord } from '../../shared/generator/types.ts';
import type { Pipeline } from './pipeline.ts';
import type { Recount } from './recount.ts';

export const SLICES = ['all', 'country=US', 'country=KR', 'country=DE'];

/** The ads, minute range and popular_ads window ends a check covers. */
export interface Scope {
  ads: string[];
  /** First minute with clicks. */
  from: number;
  /** End of the last minute with clicks. */
  to: number;
  /** `end` values asked of popular_ads. */
  topEnds: number[];
}

export function scopeOf(records: readonly GeneratedRecord[], recount: Recount, topEndCount = 5): Scope {
  const minutes = recount.minutes();
  const from = minutes[0]!;
  const to = minutes.at(-1)! + MINUTE_MS;
  const span = (to - from) / MINUTE_MS;
  const step = Math.max(1, Math.floor(span / topEndCount));
  const topEnds: number[] = [];
  for (let end = to; end > from && topEnds.length < topEndCount; end -= step * MINUTE_MS) topEnds.push(end);
  const ads = [...new Set(records.flatMap((r) => (r.event ? [r.event.adId] : [])))].sort();
  return { ads, from, to, topEnds };
}

const filterParam = (slice: string) => (slice === 'all' ? '' : `&filter=${slice.replace('=', ':')}`);

/** Every difference between the API and `recount` over `scope` (empty when they agree). */
export async function apiDifferences(p: Pipeline, recount: Recount, scope: Scope): Promise<string[]> {
  const diffs: string[] = [];
  const range = `from=${scope.from}&to=${scope.to}`;
  const perAd = scope.ads.flatMap((ad) => SLICES.map((slice) => ({ ad, slice })));
  await mapLimit(perAd, 8, async ({ ad, slice }) => {
    const q = `${range}${filterParam(slice)}`;
    const count = await p.api<{ count: number }>(`/v1/ads/${ad}/aggregated_count?${q}`);
    const want = recount.count(ad, slice, scope.from, scope.to);
    if (count.count !== want) diffs.push(`count ${ad} ${slice}: api ${count.count}, recount ${want}`);
    const series = await p.api<{ points: Array<{ minute: number | string; count: number }> }>(
      `/v1/ads/${ad}/aggregated_count/series?${q}`,
    );
    const got = series.points
      .map((pt) => ({
        minute: typeof pt.minute === 'number' ? pt.minute : Date.parse(pt.minute),
        count: pt.count,
      }))
      .filter((pt) => pt.count !== 0);
    const wantSeries = recount.series(ad, slice, scope.from, scope.to);
    if (JSON.stringify(got) !== JSON.stringify(wantSeries))
      diffs.push(`series ${ad} ${slice}: api ${JSON.stringify(got)}, recount ${JSON.stringify(wantSeries)}`);
  });
  const windows = p.config.aggregation.windowsMinutes;
  const tops = windows.flatMap((w) =>
    ['all', 'country=US'].flatMap((slice) => scope.topEnds.map((end) => ({ w, slice, end }))),
  );
  await mapLimit(tops, 4, async ({ w, slice, end }) => {
    const answer = await p.api<{ ads: Array<{ ad_id: string; count: number }> }>(
      `/v1/ads/popular_ads?count=100&window=${w}&end=${end}${filterParam(slice)}`,
    );
    const got = answer.ads.map((a) => ({ adId: a.ad_id, count: a.count }));
    const want = recount.top(w, slice, end, 100);
    if (JSON.stringify(got) !== JSON.stringify(want))
      diffs.push(
        `popular_ads ${w} min ${slice} end ${new Date(end).toISOString()}: api ${JSON.stringify(got).slice(0, 300)}, recount ${JSON.stringify(want).slice(0, 300)}`,
      );
  });
  return diffs;
}

/** Waits until the API answers exactly the recount over `scope` (the pipeline may still catch up). */
export async function expectApiEquals(
  p: Pipeline,
  recount: Recount,
  scope: Scope,
  what: string,
  timeoutMs = 180_000,
): Promise<void> {
  let last: string[] = [];
  try {
    await waitFor(
      async () => {
        last = await apiDifferences(p, recount, scope);
        return last.length === 0;
      },
      { timeoutMs, intervalMs: 1000, description: what },
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n${last.length} differences, first: ${last.slice(0, 8).join('\n')}\n` +
        `speed: ${p.output('speed').slice(-1500)}`,
    );
  }
}

/** The hours a stream touches. */
export function hoursOf(recount: Recount): number[] {
  const minutes = recount.minutes();
  const hours: number[] = [];
  for (let h = hourOf(minutes[0]!); h <= hourOf(minutes.at(-1)!); h += HOUR_MS) hours.push(h);
  return hours;
}

/**
 * Recomputes the stream's hours through the replay queue, done by the pipeline's batch workers
 * (call `waitCaughtUp` first so the lake holds every click).
 */
export async function replay(p: Pipeline, recount: Recount): Promise<string> {
  const hours = hoursOf(recount);
  const from = new Date(hours[0]!).toISOString();
  const to = new Date(hours.at(-1)! + HOUR_MS).toISOString();
  const { output } = await p.cli([
    'replay',
    '--from',
    from,
    '--to',
    to,
    '--remote',
    '--timeout-ms',
    '280000',
  ]);
  return output;
}

/** The reconciliation report of a day as the API serves it. */
export interface ApiReport {
  status: string;
  speed_total: number;
  batch_total: number;
  cells: { compared: number; matching: number; mismatching: number };
  causes: Record<string, number>;
  mismatches: Array<{
    ad_id: string;
    slice: string;
    minute: number;
    speed: number;
    batch: number;
    cause: string;
  }>;
}

/** Reconciles every day of the stream (`adclick reconcile`) and returns the reports the API serves. */
export async function reconcile(p: Pipeline, recount: Recount): Promise<ApiReport[]> {
  const dates = [...new Set(hoursOf(recount).map(isoDate))];
  const reports: ApiReport[] = [];
  for (const date of dates) {
    await p.cli(['reconcile', '--date', date], [0, 1]);
    reports.push(await p.api<ApiReport>(`/v1/reconciliation?date=${date}`));
  }
  return reports;
}

/**
 * The reports explain every difference: no unexplained cell, no unpublished hour, the batch total
 * is every valid click, and every mismatch is a late-clicks cell where the batch view is right.
 */
export function expectExplained(reports: readonly ApiReport[], all: Recount): void {
  const sum = (f: (r: ApiReport) => number) => reports.reduce((s, r) => s + f(r), 0);
  const summary = JSON.stringify(reports.map((r) => ({ ...r, mismatches: r.mismatches.slice(0, 5) })));
  expect(
    sum((r) => r.causes.unexplained ?? 0),
    `unexplained cells: ${summary}`,
  ).toBe(0);
  expect(
    sum((r) => r.causes.batch_hour_missing ?? 0),
    `unpublished hours: ${summary}`,
  ).toBe(0);
  expect(
    sum((r) => r.batch_total),
    'batch total = recount of all valid clicks',
  ).toBe(all.total);
  for (const r of reports)
    for (const m of r.mismatches) {
      expect(m.cause, JSON.stringify(m)).toBe('late_clicks');
      expect(m.batch, JSON.stringify(m)).toBeGreaterThan(m.speed);
    }
}
