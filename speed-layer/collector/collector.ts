import { Hono } from 'hono';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { MAX_EVENT_BYTES, parseClick, toWire, validateClick } from '../../shared/click-event/click-event.ts';
import type { ClickValidation } from '../../shared/click-event/types.ts';
import type { ClickPublisher, OutgoingRecord } from '../../shared/click-publisher/types.ts';
import { AdclickError, ErrorCodes, toAdclickError } from '../../shared/errors/errors.ts';
import type { Lifecycle } from '../../shared/lifecycle/types.ts';
import type { Logger } from '../../shared/logger/logger.ts';
import { createMetricsRegistry, metricsResponse } from '../../shared/metrics/metrics.ts';
import { type Listening, listen } from '../http/listen.ts';
import { bodyFormat, parseBody } from './body.ts';
import { type CollectorOptions, type ResolvedCollectorOptions, resolveCollectorOptions } from './options.ts';
import type { BodyItem, CollectorAnswer, CollectorRejection } from './types.ts';

/** What the collector needs: a durable (acks=all) publisher, a logger and optionally a registry. */
export interface CollectorDeps {
  publisher: ClickPublisher;
  logger: Logger;
  /** Registry for the collector's metrics (default: a new one for component `collector`). */
  registry?: Registry;
}

/**
 * The click collector (SPEC A2): `POST /v1/clicks` with one JSON event, a JSON array, or NDJSON.
 * Valid events are produced keyed by `ad_id`; the answer (`202`) comes only after Kafka
 * acknowledged them with acks=all, so an accepted click is never lost. Broken events are listed
 * with their reason; an unreadable body is a `400`, an oversized one a `413`. When Kafka is slow
 * or down the collector refuses with `503` and `Retry-After` instead of buffering without bound.
 */
export class Collector implements Lifecycle {
  readonly app: Hono;
  readonly registry: Registry;
  readonly #o: ResolvedCollectorOptions;
  readonly #deps: CollectorDeps;
  readonly #log: Logger;
  readonly #m: ReturnType<typeof collectorMetrics>;
  #server: Listening | undefined;
  #inFlight = 0;

  constructor(options: CollectorOptions, deps: CollectorDeps) {
    this.#o = resolveCollectorOptions(options);
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'collector' });
    this.registry = deps.registry ?? createMetricsRegistry('collector');
    this.#m = collectorMetrics(this.registry, deps.publisher);
    this.app = this.#routes();
  }

  /** `http://host:port` once started. */
  get url(): string {
    if (this.#server === undefined) throw new AdclickError(ErrorCodes.NOT_STARTED, 'collector not started');
    const host = this.#o.host.includes(':') ? `[${this.#o.host}]` : this.#o.host;
    return `http://${host}:${this.#server.port}`;
  }

  async start(): Promise<void> {
    this.#server ??= await listen(this.app, this.#o.host, this.#o.port);
    this.#log.info({ url: `${this.url}/v1/clicks`, topic: this.#o.topic }, 'collector listening');
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.close();
  }

  isReady(): boolean | Promise<boolean> {
    return this.#server !== undefined && this.#deps.publisher.isReady();
  }

  #routes(): Hono {
    const app = new Hono();
    app.post('/v1/clicks', (c) => this.#collect(c.req.raw));
    app.get('/healthz', (c) => c.json({ ok: true }));
    app.get('/readyz', async (c) =>
      (await this.isReady())
        ? c.json({ ready: true })
        : c.json({ ready: false, error: 'Kafka producer not connected' }, 503),
    );
    app.get('/metrics', () => metricsResponse(this.registry));
    app.notFound((c) =>
      c.json({ error: `no route ${c.req.method} ${c.req.path}; try POST /v1/clicks` }, 404),
    );
    app.onError((error, c) => {
      this.#log.error({ err: String(error) }, 'collector request failed');
      return c.json({ error: 'internal error' }, 500);
    });
    return app;
  }

  async #collect(request: Request): Promise<Response> {
    const started = performance.now();
    const answer = await this.#collectInner(request);
    this.#m.requests.inc({ status: String(answer.status) });
    this.#m.seconds.observe({ status: String(answer.status) }, (performance.now() - started) / 1000);
    return answer;
  }

  async #collectInner(request: Request): Promise<Response> {
    const format = bodyFormat(request.headers.get('content-type') ?? undefined);
    if (format === undefined) {
      return json(415, {
        error: 'Content-Type must be application/json (one event or an array) or application/x-ndjson',
      });
    }
    // The body is read before a request takes one of the slots, so clients that stall mid-body
    // cannot hold every slot and lock everyone else out; each is cut off after bodyTimeoutMs.
    let body: Uint8Array | undefined;
    try {
      body = await readLimited(request, this.#o.maxBodyBytes, this.#o.bodyTimeoutMs);
    } catch (error) {
      if (error instanceof BodyTimeoutError)
        return json(408, { error: error.message }, { connection: 'close' });
      if (error instanceof BodyReadError) return json(400, { error: error.message });
      throw error;
    }
    if (body === undefined) {
      // A body refused by its Content-Length is drained by the server, so the connection can be
      // reused; one cut off while streaming is not, so the client must not send on it again.
      const declared = Number(request.headers.get('content-length') ?? Number.NaN) > this.#o.maxBodyBytes;
      return json(
        413,
        { error: `request body is larger than ${this.#o.maxBodyBytes} bytes` },
        declared ? {} : { connection: 'close' },
      );
    }
    if (this.#inFlight >= this.#o.maxConcurrentRequests)
      return this.#unavailable('too many requests in progress');
    this.#inFlight++;
    try {
      const parsed = parseBody(body, format, this.#o.maxEvents);
      if (!parsed.ok) return json(parsed.status, { error: parsed.error });
      const rejected: CollectorRejection[] = [];
      const records: OutgoingRecord[] = [];
      for (const item of parsed.items) {
        const result = validateItem(item);
        if (result.ok) records.push({ key: result.event.adId, value: JSON.stringify(toWire(result.event)) });
        else
          rejected.push({
            index: item.index,
            field: result.rejection.field,
            reason: result.rejection.reason,
          });
      }
      this.#m.events.inc({ outcome: 'rejected' }, rejected.length);
      if (records.length > 0) {
        try {
          await this.#deps.publisher.publish(this.#o.topic, records);
        } catch (error) {
          const e = toAdclickError(error);
          if (e.code === ErrorCodes.INVALID_INPUT) return json(400, { error: e.message });
          this.#log.warn(
            { err: e.message, code: e.code, events: records.length },
            'Kafka did not take the clicks',
          );
          return this.#unavailable(`clicks not accepted: ${e.message}`);
        }
      }
      this.#m.events.inc({ outcome: 'accepted' }, records.length);
      const answer: CollectorAnswer = { accepted: records.length, rejected };
      return json(202, answer);
    } finally {
      this.#inFlight--;
    }
  }

  #unavailable(error: string): Response {
    const retryAfter = String(this.#o.retryAfterSeconds);
    return json(
      503,
      { error, retry_after_seconds: this.#o.retryAfterSeconds },
      { 'retry-after': retryAfter },
    );
  }
}

function validateItem(item: BodyItem): ClickValidation {
  if ('line' in item) return parseClick(item.line);
  const result = validateClick(item.value);
  if (!result.ok) return result;
  // The same size rule as a Kafka record or an NDJSON line, whatever extra fields it carries.
  const size = Buffer.byteLength(JSON.stringify(item.value));
  if (size > MAX_EVENT_BYTES) {
    return {
      ok: false,
      rejection: { field: null, reason: `event is ${size} bytes; at most ${MAX_EVENT_BYTES} are accepted` },
    };
  }
  return result;
}

class BodyReadError extends Error {}
class BodyTimeoutError extends Error {}

/**
 * The body, or `undefined` once it passes `limit` bytes (reading stops there).
 *
 * @throws BodyTimeoutError when the whole body has not arrived within `timeoutMs`.
 */
async function readLimited(
  request: Request,
  limit: number,
  timeoutMs: number,
): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  if (request.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BodyTimeoutError(`request body did not arrive within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timedOut]);
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        return undefined;
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof BodyTimeoutError) {
      await reader.cancel().catch(() => undefined);
      throw error;
    }
    throw new BodyReadError(`request body could not be read: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

function collectorMetrics(registry: Registry, publisher: ClickPublisher) {
  return {
    requests: new Counter({
      name: 'adclick_collector_requests_total',
      help: 'POST /v1/clicks requests by answer status',
      labelNames: ['status'],
      registers: [registry],
    }),
    events: new Counter({
      name: 'adclick_collector_events_total',
      help: 'Events received by outcome (accepted = acknowledged by Kafka, rejected = failed validation)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    seconds: new Histogram({
      name: 'adclick_collector_request_seconds',
      help: 'Time to answer POST /v1/clicks, including the Kafka acknowledgement',
      labelNames: ['status'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'adclick_collector_pending_bytes',
      help: 'Bytes handed to Kafka and not yet acknowledged',
      registers: [registry],
      collect() {
        this.set(publisher.pendingBytes());
      },
    }),
  };
}
