import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import {
  collectProcessMetrics,
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

  it("adds the process's memory, heap and event-loop lag to a component's registry", async () => {
    const registry = createMetricsRegistry('proc');
    collectProcessMetrics(registry);
    const text = await registry.metrics();
    const rss = /^process_resident_memory_bytes\{component="proc"\} (\d+)/m.exec(text);
    expect(Number(rss?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_heap_space_size_used_bytes\{space="old",component="proc"\} \d+/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds\{component="proc"\} /m);
    // Another component's registry stays without them.
    expect(await createMetricsRegistry('other').metrics()).not.toContain('process_resident_memory_bytes');
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
