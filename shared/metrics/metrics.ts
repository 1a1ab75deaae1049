import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';
import type { Logger } from '../logger/logger.ts';

/**
 * Offsets from `METRICS_PORT` (config `ports.metrics`) of each component's `/metrics` endpoint,
 * so several components run side by side on one machine; the serving layer scrapes
 * `base + 0 … base + 3` for the dashboard.
 */
export const METRICS_PORT_OFFSETS = { speed: 0, archiver: 1, batch: 2, collector: 3 } as const;

/**
 * A Prometheus registry of one component (never prom-client's global one, so two components in
 * one process, or one test after another, never clash on metric names). `component` becomes a
 * default label of every sample.
 */
export function createMetricsRegistry(component: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  return registry;
}

/**
 * Adds the process's own metrics to `registry`: resident memory, V8 heap spaces, event-loop lag,
 * GC pauses (prom-client's `process_*` and `nodejs_*` set). What an operator reads first when a
 * component is slow or grows: whether its event loop stalls and where its memory goes. Once per
 * process, from its entrypoint (each call starts its own event-loop monitor).
 */
export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
}

/** A running `/metrics` endpoint. */
export interface MetricsServer {
  /** `http://host:port` actually bound (port 0 picks a free one). */
  url: string;
  close(): Promise<void>;
}

/**
 * Answers a `/metrics` request from `registry` in the Prometheus text format; for mounting on an
 * existing HTTP framework (e.g. Hono: `app.get('/metrics', () => metricsResponse(registry))`).
 */
export async function metricsResponse(registry: Registry): Promise<Response> {
  return new Response(await registry.metrics(), {
    status: 200,
    headers: { 'content-type': registry.contentType },
  });
}

/**
 * Serves `GET /metrics` (and `GET /healthz`) of `registry` on its own small HTTP server.
 *
 * @throws AdclickError `UNAVAILABLE` when the port cannot be bound (e.g. already in use).
 */
export async function startMetricsServer(options: {
  registry: Registry;
  host: string;
  port: number;
  logger: Logger;
}): Promise<MetricsServer> {
  const { registry, host, port, logger } = options;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (error: unknown) => {
          logger.warn({ err: String(error) }, 'collecting metrics failed');
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('metrics collection failed\n');
        },
      );
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new AdclickError(
          ErrorCodes.UNAVAILABLE,
          `cannot serve /metrics on ${host}:${port}: ${error.message}`,
          {
            cause: error,
          },
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  logger.info({ url: `${url}/metrics` }, 'metrics endpoint listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
