import { AdclickError, ErrorCodes } from '../errors/errors.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Start of the minute containing `ms` (epoch ms UTC). */
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
/** Start of the hour containing `ms`. */
export const hourOf = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
/** Start of the UTC day containing `ms`. */
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** `YYYY-MM-DD` of the UTC day containing `ms` (the lake's `dt=` partition). */
export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** `HH` of the UTC hour containing `ms` (the lake's `hour=` partition). */
export const isoHour = (ms: number): string => new Date(ms).toISOString().slice(11, 13);

const ISO = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|z|[+-]\d{2}:?\d{2}))?$/;

/**
 * Parses a time parameter as SPEC A3 defines it: epoch milliseconds or ISO-8601 (a bare date means
 * its UTC midnight). `name` is the parameter or option, so the error tells the user which one.
 *
 * @throws AdclickError `INVALID_INPUT` naming the parameter.
 */
export function parseTime(value: string, name: string): number {
  const trimmed = value.trim();
  let ms = Number.NaN;
  if (/^\d{1,15}$/.test(trimmed)) ms = Number(trimmed);
  else if (ISO.test(trimmed))
    ms = Date.parse(trimmed.length === 10 ? `${trimmed}T00:00:00Z` : trimmed.replace(' ', 'T'));
  if (!Number.isFinite(ms)) {
    throw new AdclickError(
      ErrorCodes.INVALID_INPUT,
      `${name} must be epoch milliseconds or ISO-8601 (e.g. 2026-01-31T12:00:00Z), got "${trimmed.slice(0, 40)}"`,
      { details: { parameter: name } },
    );
  }
  // Date.parse rolls a date that does not exist (2026-02-30) over into the next month; a range
  // silently moved by days is worse than an error.
  const ymd = /^(\d{4})-(\d{2})-(\d{2})/.exec(trimmed);
  if (ymd !== null) {
    const [y, mo, d] = [Number(ymd[1]), Number(ymd[2]), Number(ymd[3])];
    const day = new Date(Date.UTC(y, mo - 1, d));
    if (day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d)
      throw new AdclickError(
        ErrorCodes.INVALID_INPUT,
        `${name} names a date that does not exist: "${trimmed.slice(0, 40)}"`,
        { details: { parameter: name } },
      );
  }
  return ms;
}

/** Every minute start in `[fromMinute, toMinute)`. */
export function minutesIn(fromMinute: number, toMinute: number): number[] {
  const out: number[] = [];
  for (let m = minuteOf(fromMinute); m < toMinute; m += MINUTE_MS) out.push(m);
  return out;
}
