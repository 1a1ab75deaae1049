import { assertTopicExists, createKafka, kafkaOptionsFrom } from '../../shared/kafka/kafka.ts';
import { KafkaClickPublisher } from '../../shared/kafka/kafka-click-publisher.ts';
import {
  collectProcessMetrics,
  METRICS_PORT_OFFSETS,
  startMetricsServer,
} from '../../shared/metrics/metrics.ts';
import { Collector } from '../../speed-layer/collector/collector.ts';
import { COLLECTOR_DEFAULTS } from '../../speed-layer/collector/options.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';

export const command: CliCommand = {
  name: 'collector',
  summary: 'Run the click collector: POST /v1/clicks → Kafka ad-clicks (acks=all)',
  help: `Usage: adclick collector [options]

Serves POST /v1/clicks until SIGINT/SIGTERM. The body is one JSON click, a JSON array of clicks
(Content-Type: application/json) or one click per line (application/x-ndjson). Valid clicks are
produced to the click topic keyed by ad_id with an idempotent, acks=all producer; the answer
202 {"accepted":n,"rejected":[{"index","field","reason"}]} comes only once Kafka acknowledged
them. 400: unreadable body; 413: body or event count over the limit; 415: other content type;
503 with Retry-After: Kafka is slow or unreachable (send again later).
Also serves GET /healthz, GET /readyz and GET /metrics.

Options:
  --port N             listen port (default COLLECTOR_PORT, 8081)
  --host H             listen address (default BIND_HOST, 127.0.0.1)
  --max-body-bytes N   largest request body (default ${COLLECTOR_DEFAULTS.maxBodyBytes})
  --max-events N       most events per request (default ${COLLECTOR_DEFAULTS.maxEvents})
  --max-requests N     requests handled at once before answering 503 (default ${COLLECTOR_DEFAULTS.maxConcurrentRequests})
  --max-pending-mb N   MiB waiting for Kafka's acknowledgement before answering 503 (default 32)
  --body-timeout-ms N  time a client has to send its whole body; slower → 408 and the connection
                       is closed (default ${COLLECTOR_DEFAULTS.bodyTimeoutMs})
  --metrics-port N     port of a second /metrics endpoint for the dashboard's scrape
                       (default METRICS_PORT + ${METRICS_PORT_OFFSETS.collector}, i.e. 9467; 0 = none)
  -h, --help           this text

Environment: KAFKA_BROKERS, KAFKA_TOPIC, COLLECTOR_PORT, BIND_HOST, METRICS_PORT (see README).`,
  async run(ctx) {
    const o = parseOptions('collector', ctx.argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'max-events': { type: 'string' },
      'max-requests': { type: 'string' },
      'max-pending-mb': { type: 'string' },
      'body-timeout-ms': { type: 'string' },
      'metrics-port': { type: 'string' },
    });
    const config = ctx.config();
    const logger = ctx.logger();
    const host = o.host ?? config.bindHost;
    // Every option is checked before Kafka is touched, so a bad value fails at once and leaves
    // no producer connected behind it.
    const options = {
      host,
      port: intOption('collector', 'port', o.port, config.ports.collector),
      topic: config.kafka.topic,
      maxBodyBytes: intOption(
        'collector',
        'max-body-bytes',
        o['max-body-bytes'],
        COLLECTOR_DEFAULTS.maxBodyBytes,
        1,
      ),
      maxEvents: intOption('collector', 'max-events', o['max-events'], COLLECTOR_DEFAULTS.maxEvents, 1),
      maxConcurrentRequests: intOption(
        'collector',
        'max-requests',
        o['max-requests'],
        COLLECTOR_DEFAULTS.maxConcurrentRequests,
        1,
      ),
      bodyTimeoutMs: intOption(
        'collector',
        'body-timeout-ms',
        o['body-timeout-ms'],
        COLLECTOR_DEFAULTS.bodyTimeoutMs,
        1,
      ),
    };
    const maxPendingBytes =
      intOption('collector', 'max-pending-mb', o['max-pending-mb'], 32, 1) * 1024 * 1024;
    const metricsPort = intOption(
      'collector',
      'metrics-port',
      o['metrics-port'],
      config.ports.metrics + METRICS_PORT_OFFSETS.collector,
    );
    const kafka = createKafka(kafkaOptionsFrom(config), logger);
    await assertTopicExists(kafka, config.kafka.topic);
    const publisher = new KafkaClickPublisher(kafka, logger, { maxPendingBytes });
    await publisher.start();
    const collector = new Collector(options, { publisher, logger });
    collectProcessMetrics(collector.registry);
    try {
      await collector.start();
      const metrics =
        metricsPort === 0
          ? undefined
          : await startMetricsServer({ registry: collector.registry, host, port: metricsPort, logger });
      console.log(`collector: POST ${collector.url}/v1/clicks → Kafka ${config.kafka.topic}`);
      await new Promise<void>((resolve) => {
        if (ctx.stopSignal.aborted) resolve();
        else ctx.stopSignal.addEventListener('abort', () => resolve(), { once: true });
      });
      await metrics?.close();
      return 0;
    } finally {
      await collector.close();
      await publisher.close();
    }
  },
};
