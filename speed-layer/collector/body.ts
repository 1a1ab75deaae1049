import type { BodyItem, ParsedBody } from './types.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Which body format a `Content-Type` names, or `undefined` for one the collector does not take. */
export function bodyFormat(contentType: string | undefined): 'json' | 'ndjson' | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json')))
    return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl')
    return 'ndjson';
  return undefined;
}

/**
 * Splits a request body into events (SPEC A2): a JSON object (one event), a JSON array (one event
 * per element) or NDJSON (one event per non-blank line). Only an unreadable body as a whole is
 * refused (400); a bad element or line becomes a per-event rejection later, so one broken event
 * never costs the others.
 */
export function parseBody(bytes: Uint8Array, format: 'json' | 'ndjson', maxEvents: number): ParsedBody {
  if (bytes.byteLength === 0) return { ok: false, status: 400, error: 'request body is empty' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { ok: false, status: 400, error: 'request body is not valid UTF-8' };
  }
  const items: BodyItem[] = [];
  if (format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return {
        ok: false,
        status: 400,
        error: `request body is not valid JSON (${(error as Error).message}); send one event, an array of events, or application/x-ndjson`,
      };
    }
    if (Array.isArray(value)) {
      if (value.length === 0) return { ok: false, status: 400, error: 'request body is an empty array' };
      for (const [index, v] of value.entries()) items.push({ index, value: v });
    } else items.push({ index: 0, value });
  } else {
    const lines = text.split('\n');
    lines.forEach((raw, index) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() !== '') items.push({ index, line });
    });
    if (items.length === 0)
      return { ok: false, status: 400, error: 'request body has no events (only blank lines)' };
  }
  if (items.length > maxEvents) {
    return {
      ok: false,
      status: 413,
      error: `request has ${items.length} events; at most ${maxEvents} are accepted per request`,
    };
  }
  return { ok: true, items };
}
