import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import {
  createMetricsRegistry,
  metricsResponse,
  startMetricsServer,
} from '../../../../shared/metrics/metrics.ts';

describe('shared metrics', () => {
  it('keeps each component on its own registry, labelled with its name', async () => {
    const a = createMetricsRegistry('a');
    const b = createMetricsRegistry('b');
    new Counter({ name: 'adclick_test_total', help: 'x', registers: [a] }).inc(2);
    new Counter({ name: 'adclick_test_total', help: 'x', registers: [b] }).inc(3);
    expect(await a.metrics()).toContain('adclick_test_total{component="a"} 2');
    const res = await metricsResponse(b);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('adclick_test_total{component="b"} 3');
  });

  it('serves /metrics and /healthz on its own port, and 404 elsewhere', async () => {
    const registry = createMetricsRegistry('server');
    new Counter({ name: 'adclick_served_total', help: 'x', registers: [registry] }).inc();
    const server = await startMetricsServer({ registry, host: '127.0.0.1', port: 0, logger: silentLogger() });
    try {
      expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('adclick_served_total');
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/other`)).status).toBe(404);
      const port = Number(new URL(server.url).port);
      await expect(
        startMetricsServer({ registry, host: '127.0.0.1', port, logger: silentLogger() }),
      ).rejects.toThrow(/cannot serve \/metrics/);
    } finally {
      await server.close();
    }
  });
});
