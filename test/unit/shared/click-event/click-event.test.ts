import { describe, expect, it } from 'vitest';
import {
  MAX_EVENT_BYTES,
  parseClick,
  toWire,
  validateClick,
} from '../../../../shared/click-event/click-event.ts';
import { MALFORMED_EVENTS, VALID_EVENT_JSON } from '../../../fixtures/malformed-events.ts';

const base = JSON.parse(VALID_EVENT_JSON) as Record<string, unknown>;
const accept = (patch: Record<string, unknown>) => {
  const result = validateClick({ ...base, ...patch });
  if (!result.ok) throw new Error(`expected acceptance, got: ${result.rejection.reason}`);
  return result.event;
};

describe('parseClick: SPEC A1 rules', () => {
  it('accepts the reference event and normalises it', () => {
    const result = parseClick(VALID_EVENT_JSON);
    expect(result).toEqual({
      ok: true,
      event: {
        clickId: 'c-1',
        adId: 'ad-1',
        timestampMs: 1_767_225_600_000,
        userId: 'u-1',
        ip: '203.0.113.7',
        country: 'US',
      },
    });
  });

  it('accepts bytes as well as strings', () => {
    expect(parseClick(Buffer.from(VALID_EVENT_JSON)).ok).toBe(true);
  });

  it('rejects invalid UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from('{"click_id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const result = parseClick(bytes);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejection.reason).toMatch(/UTF-8/);
  });

  it('ignores unknown extra fields', () => {
    expect(accept({ campaign: 'x', nested: { a: 1 } }).adId).toBe('ad-1');
  });

  it('upper-cases a lower-case country', () => {
    expect(accept({ country: 'kr' }).country).toBe('KR');
  });

  it('reads ISO-8601 timestamps with Z, offsets and fractions as UTC epoch ms', () => {
    expect(accept({ click_timestamp: '2026-01-01T00:00:00Z' }).timestampMs).toBe(Date.UTC(2026, 0, 1));
    expect(accept({ click_timestamp: '2026-01-01T09:00:00+09:00' }).timestampMs).toBe(Date.UTC(2026, 0, 1));
    expect(accept({ click_timestamp: '2026-01-01T00:00:00.250Z' }).timestampMs).toBe(
      Date.UTC(2026, 0, 1) + 250,
    );
  });

  it('accepts IPv6 literals', () => {
    expect(accept({ ip: '2001:db8::1' }).ip).toBe('2001:db8::1');
    expect(accept({ ip: '::ffff:192.0.2.1' }).ip).toBe('::ffff:192.0.2.1');
  });

  it('accepts ids at their maximum lengths, counted in characters', () => {
    expect(accept({ click_id: '가'.repeat(64) }).clickId).toHaveLength(64);
    expect(accept({ ad_id: 'a'.repeat(64), user_id: 'u'.repeat(128) }).userId).toHaveLength(128);
    expect(accept({ ad_id: 'A-z_0.9:x' }).adId).toBe('A-z_0.9:x');
  });

  it('round-trips through the wire format', () => {
    const event = accept({ country: 'de' });
    const again = validateClick(toWire(event));
    expect(again).toEqual({ ok: true, event });
  });

  it('rejects an event larger than MAX_EVENT_BYTES before parsing it', () => {
    const result = parseClick(`{"pad":"${'x'.repeat(MAX_EVENT_BYTES)}"}`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.rejection.reason).toContain(String(MAX_EVENT_BYTES));
  });
});

describe('parseClick: the malformed-event table', () => {
  it('has at least 30 cases', () => {
    expect(MALFORMED_EVENTS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(MALFORMED_EVENTS.map((c) => [c.name, c] as const))('rejects %s, naming the field', (_name, c) => {
    const result = parseClick(c.body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejection.field).toBe(c.field);
    if (c.field !== null) expect(result.rejection.reason.startsWith(c.field)).toBe(true);
    expect(result.rejection.reason.length).toBeGreaterThan(10);
    // Reasons go into logs and HTTP answers: never raw control characters or huge echoes.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(result.rejection.reason).not.toMatch(/[\u0000-\u001f]/);
    expect(result.rejection.reason.length).toBeLessThan(300);
  });
});
