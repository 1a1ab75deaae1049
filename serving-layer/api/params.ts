import {
  type AggregationDefinition,
  filterOfSlice,
  sliceOfFilter,
} from '../../shared/aggregation/definition.ts';
import { DAY_MS, MINUTE_MS, minuteOf, parseTime } from '../../shared/aggregation/time.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';

/** Longest `[from, to)` a count or series may cover; longer ranges are refused, not truncated. */
export const MAX_RANGE_MS = 31 * DAY_MS;
const AD_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Query parameters each route accepts (the OpenAPI test checks the document lists the same). */
export const RANGE_PARAMETERS = ['from', 'to', 'filter'] as const;
export const POPULAR_PARAMETERS = ['count', 'window', 'filter', 'end'] as const;
export const DATE_PARAMETERS = ['date'] as const;

/** Query parameters as they arrived: each name once, or several times (refused). */
export type RawQuery = Record<string, string[]>;

function invalid(parameter: string, message: string): AdclickError {
  return new AdclickError(ErrorCodes.INVALID_INPUT, message, { details: { parameter } });
}

/** Refuses unknown and repeated parameters, so a typo (`fliter=`) is an error rather than ignored. */
function single(query: RawQuery, allowed: readonly string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, values] of Object.entries(query)) {
    if (!allowed.includes(name)) {
      throw invalid(name, `unknown parameter "${name.slice(0, 40)}"; allowed: ${allowed.join(', ')}`);
    }
    if (values.length > 1) throw invalid(name, `${name} given more than once`);
    out[name] = values[0];
  }
  return out;
}

/** Validates an ad id from the path (SPEC A1 rule). */
export function parseAdId(value: string): string {
  if (!AD_ID.test(value)) throw invalid('ad_id', 'ad_id must be 1–64 characters of A-Z a-z 0-9 _ . : -');
  return value;
}

export interface RangeQuery {
  from: number;
  to: number;
  slice: string;
  filter: string | null;
}

/** `from`, `to` (required, rounded down to the minute, from < to, at most 31 days) and `filter`. */
export function parseRangeQuery(query: RawQuery, definition: AggregationDefinition): RangeQuery {
  const q = single(query, RANGE_PARAMETERS);
  if (q.from === undefined) throw invalid('from', 'from is required (epoch ms or ISO-8601)');
  if (q.to === undefined) throw invalid('to', 'to is required (epoch ms or ISO-8601)');
  const from = minuteOf(parseTime(q.from, 'from'));
  const to = minuteOf(parseTime(q.to, 'to'));
  if (to <= from) {
    throw invalid('to', 'to must be at least one minute after from (both are rounded down to the minute)');
  }
  if (to - from > MAX_RANGE_MS) throw invalid('to', 'the range from–to may cover at most 31 days');
  const slice = sliceOfFilter(q.filter, definition);
  return { from, to, slice, filter: filterOfSlice(slice) };
}

export interface PopularQuery {
  count: number;
  windowMinutes: number;
  end: number;
  slice: string;
  filter: string | null;
}

/**
 * `count` (1–topN, default 10), `window` (one of the configured windows, default the smallest),
 * `end` (rounded down to the minute; default the end of the current minute) and `filter`.
 */
export function parsePopularQuery(
  query: RawQuery,
  definition: AggregationDefinition,
  now: number,
): PopularQuery {
  const q = single(query, POPULAR_PARAMETERS);
  const max = definition.topN;
  const count = q.count === undefined ? Math.min(10, max) : Number(q.count);
  if (!/^\d+$/.test(q.count ?? '10') || count < 1 || count > max) {
    throw invalid('count', `count must be a whole number from 1 to ${max}`);
  }
  const windows = definition.windowsMinutes;
  const windowMinutes = q.window === undefined ? windows[0]! : Number(q.window);
  if ((q.window !== undefined && !/^\d+$/.test(q.window)) || !windows.includes(windowMinutes)) {
    throw invalid('window', `window must be one of ${windows.join(', ')} (minutes)`);
  }
  const end = q.end === undefined ? minuteOf(now) + MINUTE_MS : minuteOf(parseTime(q.end, 'end'));
  const slice = sliceOfFilter(q.filter, definition);
  return { count, windowMinutes, end, slice, filter: filterOfSlice(slice) };
}

/** `date=YYYY-MM-DD` (required), as the UTC midnight it names. */
export function parseDateQuery(query: RawQuery): { date: string; dayStart: number } {
  const q = single(query, DATE_PARAMETERS);
  if (q.date === undefined) throw invalid('date', 'date is required (YYYY-MM-DD)');
  const dayStart = DATE.test(q.date) ? Date.parse(`${q.date}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(dayStart) || new Date(dayStart).toISOString().slice(0, 10) !== q.date) {
    throw invalid('date', 'date must be a calendar date YYYY-MM-DD');
  }
  return { date: q.date, dayStart };
}
