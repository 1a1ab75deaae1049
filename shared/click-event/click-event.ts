import { isIP } from 'node:net';
import { COUNTRY_CODES } from './countries.ts';
import type { ClickEvent, ClickRejection, ClickValidation, WireClick } from './types.ts';

/** Largest accepted encoded event; anything larger is not a click but a mistake or an attack. */
export const MAX_EVENT_BYTES = 16 * 1024;
/** Event times outside [2000-01-01, 2100-01-01) UTC are rejected as implausible. */
export const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
export const MAX_TIMESTAMP_MS = Date.UTC(2100, 0, 1);

const AD_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
// C0 and C1 control characters: invisible in logs and dashboards, never part of a real id.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_ALL = new RegExp(CONTROL.source, 'g');
// ISO-8601 date-time with a mandatory zone (Z or ±hh:mm / ±hhmm), optional fraction.
const ISO_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses and validates one encoded event (a Kafka message value or an NDJSON line).
 * Never throws: every problem becomes a rejection with a precise reason.
 */
export function parseClick(bytes: Uint8Array | string): ClickValidation {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > MAX_EVENT_BYTES)
    return reject(null, `event is ${size} bytes; at most ${MAX_EVENT_BYTES} are accepted`);
  let text: string;
  try {
    text = typeof bytes === 'string' ? bytes : utf8.decode(bytes);
  } catch {
    return reject(null, 'event is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return reject(null, `event is not valid JSON (${(error as Error).message})`);
  }
  return validateClick(value);
}

/** Validates an already-decoded JSON value against SPEC A1 and normalises it. */
export function validateClick(value: unknown): ClickValidation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject(null, `event must be a JSON object, got ${describe(value)}`);
  }
  const raw = value as Record<string, unknown>;

  const clickId = checkString(raw, 'click_id', 64);
  if (typeof clickId !== 'string') return clickId;

  const adId = raw.ad_id;
  if (typeof adId !== 'string') return reject('ad_id', `ad_id must be a string, got ${describe(adId)}`);
  if (!AD_ID.test(adId)) {
    return reject('ad_id', 'ad_id must be 1-64 characters of A-Z a-z 0-9 _ . : -');
  }

  const timestampMs = parseTimestamp(raw.click_timestamp);
  if (typeof timestampMs !== 'number') return timestampMs;

  const userId = checkString(raw, 'user_id', 128);
  if (typeof userId !== 'string') return userId;

  const ip = raw.ip;
  if (typeof ip !== 'string') return reject('ip', `ip must be a string, got ${describe(ip)}`);
  if (ip.length > 45 || isIP(ip) === 0)
    return reject('ip', `ip must be an IPv4 or IPv6 literal, got "${preview(ip)}"`);

  const country = raw.country;
  if (typeof country !== 'string')
    return reject('country', `country must be a string, got ${describe(country)}`);
  const upper = country.toUpperCase();
  if (country.length !== 2 || !COUNTRY_CODES.has(upper)) {
    return reject(
      'country',
      `country must be an ISO 3166-1 alpha-2 code such as US or KR, got "${preview(country)}"`,
    );
  }

  return { ok: true, event: { clickId, adId, timestampMs, userId, ip, country: upper } };
}

/** Converts a normalised event back to the wire format (epoch-ms timestamp). */
export function toWire(event: ClickEvent): WireClick {
  return {
    click_id: event.clickId,
    ad_id: event.adId,
    click_timestamp: event.timestampMs,
    user_id: event.userId,
    ip: event.ip,
    country: event.country,
  };
}

function checkString(
  raw: Record<string, unknown>,
  field: 'click_id' | 'user_id',
  max: number,
): string | { ok: false; rejection: ClickRejection } {
  const value = raw[field];
  if (typeof value !== 'string') return reject(field, `${field} must be a string, got ${describe(value)}`);
  // A string of at most `max` UTF-16 units has at most `max` code points: count only longer ones.
  const length = value.length <= max ? value.length : codePoints(value);
  if (length < 1 || length > max) return reject(field, `${field} must be 1-${max} characters, got ${length}`);
  if (CONTROL.test(value)) return reject(field, `${field} must not contain control characters`);
  if (value.trim() !== value || value.trim() === '')
    return reject(field, `${field} must not start or end with whitespace`);
  return value;
}

function parseTimestamp(value: unknown): number | { ok: false; rejection: ClickRejection } {
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      return reject(
        'click_timestamp',
        `click_timestamp must be whole epoch milliseconds, got ${String(value)}`,
      );
    }
    ms = value;
  } else if (typeof value === 'string') {
    const m = ISO_WITH_ZONE.exec(value);
    if (m === null) {
      return reject(
        'click_timestamp',
        `click_timestamp string must be ISO-8601 with a zone (e.g. 2026-01-31T12:00:00Z), got "${preview(value)}"`,
      );
    }
    const [, year, month, day, hour, minute, second] = m;
    ms = Date.parse(value.replace(' ', 'T'));
    // Date.parse rolls 2026-02-31 over to March; a real calendar date must round-trip.
    const check = new Date(
      Date.UTC(
        Number(year),
        Number(month) - 1,
        Number(day),
        Number(hour),
        Number(minute),
        Number(second ?? 0),
      ),
    );
    const valid =
      check.getUTCFullYear() === Number(year) &&
      check.getUTCMonth() === Number(month) - 1 &&
      check.getUTCDate() === Number(day) &&
      check.getUTCHours() === Number(hour) &&
      check.getUTCMinutes() === Number(minute) &&
      check.getUTCSeconds() === Number(second ?? 0);
    if (!valid || Number.isNaN(ms))
      return reject('click_timestamp', `click_timestamp is not a real date-time: "${preview(value)}"`);
  } else {
    return reject(
      'click_timestamp',
      `click_timestamp must be epoch milliseconds or an ISO-8601 string, got ${describe(value)}`,
    );
  }
  if (ms < MIN_TIMESTAMP_MS || ms >= MAX_TIMESTAMP_MS) {
    return reject(
      'click_timestamp',
      `click_timestamp ${String(value)} is outside 2000-01-01..2100-01-01 UTC (epoch seconds instead of milliseconds?)`,
    );
  }
  return ms;
}

function reject(field: ClickRejection['field'], reason: string): { ok: false; rejection: ClickRejection } {
  return { ok: false, rejection: { field, reason } };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing (field missing)';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** A short, printable excerpt of user input for error messages. */
function preview(value: string): string {
  const clean = value.replace(CONTROL_ALL, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}

function codePoints(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}
