import { CassandraSpeedViewStore } from '../../shared/aggregate-store/cassandra-speed-view-store.ts';
import { connectCassandraClient } from '../../shared/cassandra/client.ts';
import { migrate } from '../../shared/cassandra/migrate.ts';
import { cassandraOptionsFrom } from '../../shared/cassandra/options.ts';
import { createKafka, kafkaOptionsFrom } from '../../shared/kafka/kafka.ts';
import { KafkaClickPublisher } from '../../shared/kafka/kafka-click-publisher.ts';
import { collectProcessMetrics } from '../../shared/metrics/metrics.ts';
import { CassandraSnapshotStore } from '../../speed-layer/aggregate/cassandra-snapshot-store.ts';
import { SPEED_DEFAULTS, speedOptionsFrom } from '../../speed-layer/options.ts';
import { CassandraGlobalTopLists } from '../../speed-layer/reduce/cassandra-global-top-lists.ts';
import { SpeedLayer } from '../../speed-layer/speed-layer.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';

export const command: CliCommand = {
  name: 'speed',
  summary: 'Run the speed layer: Kafka → per-minute windows, dedup, watermark, top-N → Cassandra speed view',
  help: `Usage: adclick speed [options]

Consumes the click topic as a Kafka consumer group until SIGINT/SIGTERM. Each record is validated
(broken ones go to the dead-letter topic with their reason), counted once per click_id into
per-minute windows by event time per (ad, slice), and ranked into sliding-window top-N lists.
Every flush interval the changed cells are upserted into the Cassandra speed view (cells of open
minutes into the per-(slice, minute) rows, each closed minute's cells into the per-ad rows once),
then top lists and closed-minute markers, then each partition's snapshot (state + next offset);
a restart resumes from the snapshots, so a crash at any moment ends with the same numbers. When
Cassandra falls behind, fetching from Kafka pauses until the pending writes drain (backpressure).

A minute closes when its partition's watermark (max event time − ALLOWED_LATENESS_MS) passes its
end; later clicks of that minute are counted as late (metric) and left to the batch layer. A
partition without events for IDLE_TIMEOUT_MS lets its watermark follow the wall clock.

Options:
  --group <id>             consumer group, also the key of the snapshots (default ${SPEED_DEFAULTS.groupId})
  --topic <name>           click topic (default KAFKA_TOPIC, ad-clicks)
  --dlq-topic <name>       dead-letter topic (default KAFKA_DLQ_TOPIC, ad-clicks-dlq)
  --flush-interval <ms>    how often changed cells are written, 10–1000 (default ${SPEED_DEFAULTS.flushIntervalMs})
  --top-list-interval <ms> top lists are ranked and written at most this often, from the flush
                           interval to 1000 (default ${SPEED_DEFAULTS.topListIntervalMs})
  --snapshot-interval <ms> snapshots (state + next offset) are taken at most this often, at least
                           the flush interval (default ${SPEED_DEFAULTS.snapshotIntervalMs}); longer means a longer replay after a crash
  --max-pending-rows <n>   backpressure: stop fetching from Kafka while more rows than this wait to
                           be written to Cassandra, resume at half (default ${SPEED_DEFAULTS.maxPendingRows})
  --max-heap-mb <n>        backpressure: also stop fetching while a tenth of --max-pending-rows is
                           pending and the V8 heap in use plus external memory (typed arrays) is
                           above this (default ${SPEED_DEFAULTS.maxHeapMb})
  --session-timeout <ms>   Kafka group session timeout: how long a crashed instance holds its
                           partitions (default ${SPEED_DEFAULTS.sessionTimeoutMs}; the broker's minimum is usually 6000)
  --metrics-port <n>       port of GET /metrics and /healthz (default METRICS_PORT, 9464; 0 = any free port)
  --no-rekey               count a click found in a partition its ad_id does not hash to where it
                           arrived, instead of producing it again keyed by ad_id (default: re-key)
  -h, --help               this text

Environment: KAFKA_BROKERS, CASSANDRA_CONTACT_POINTS, CASSANDRA_KEYSPACE, ALLOWED_LATENESS_MS
(default 15000), IDLE_TIMEOUT_MS (default 30000), WINDOWS_MINUTES (default 1,5,15,60), TOP_N,
DIMENSIONS, BIND_HOST (metrics listen address, default 127.0.0.1).`,
  async run(ctx) {
    const o = parseOptions('speed', ctx.argv, {
      group: { type: 'string' },
      topic: { type: 'string' },
      'dlq-topic': { type: 'string' },
      'flush-interval': { type: 'string' },
      'top-list-interval': { type: 'string' },
      'snapshot-interval': { type: 'string' },
      'max-pending-rows': { type: 'string' },
      'max-heap-mb': { type: 'string' },
      'metrics-port': { type: 'string' },
      'session-timeout': { type: 'string' },
      'no-rekey': { type: 'boolean' },
    });
    const config = ctx.config();
    const logger = ctx.logger();
    const options = speedOptionsFrom(config, {
      groupId: o.group ?? SPEED_DEFAULTS.groupId,
      topic: o.topic ?? config.kafka.topic,
      dlqTopic: o['dlq-topic'] ?? config.kafka.dlqTopic,
      flushIntervalMs: intOption(
        'speed',
        'flush-interval',
        o['flush-interval'],
        SPEED_DEFAULTS.flushIntervalMs,
        10,
      ),
      topListIntervalMs: intOption(
        'speed',
        'top-list-interval',
        o['top-list-interval'],
        SPEED_DEFAULTS.topListIntervalMs,
        10,
      ),
      snapshotIntervalMs: intOption(
        'speed',
        'snapshot-interval',
        o['snapshot-interval'],
        SPEED_DEFAULTS.snapshotIntervalMs,
        10,
      ),
      maxPendingRows: intOption(
        'speed',
        'max-pending-rows',
        o['max-pending-rows'],
        SPEED_DEFAULTS.maxPendingRows,
        1,
      ),
      maxHeapMb: intOption('speed', 'max-heap-mb', o['max-heap-mb'], SPEED_DEFAULTS.maxHeapMb, 64),
      sessionTimeoutMs: intOption(
        'speed',
        'session-timeout',
        o['session-timeout'],
        SPEED_DEFAULTS.sessionTimeoutMs,
        1000,
      ),
      rekey: o['no-rekey'] !== true,
      metrics: {
        host: config.bindHost,
        port: intOption('speed', 'metrics-port', o['metrics-port'], config.ports.metrics),
      },
    });
    const kafka = createKafka(
      kafkaOptionsFrom(config, { clientId: `${config.kafka.clientId}-speed` }),
      logger,
    );
    const cassandra = await connectCassandraClient(
      cassandraOptionsFrom(config, { applicationName: 'adclick-speed' }),
      logger,
    );
    // The snapshot table may be newer than the keyspace `adclick up` created.
    await migrate(cassandra, config.cassandra.keyspace, logger);
    const store = new CassandraSpeedViewStore(config, logger);
    const dlq = new KafkaClickPublisher(kafka, logger);
    const speed = new SpeedLayer(options, {
      kafka,
      store,
      snapshots: new CassandraSnapshotStore(cassandra),
      topLists: new CassandraGlobalTopLists(cassandra, config.aggregation.topN),
      dlq,
      logger,
    });
    collectProcessMetrics(speed.metrics.registry);
    try {
      await store.start();
      await dlq.start();
      await speed.start();
      console.log(
        `speed layer: ${options.topic} → keyspace ${config.cassandra.keyspace} (group ${options.groupId}); ` +
          `metrics on http://${config.bindHost}:${speed.metricsPort}/metrics`,
      );
      await new Promise<void>((resolve) => {
        if (ctx.stopSignal.aborted) resolve();
        else ctx.stopSignal.addEventListener('abort', () => resolve(), { once: true });
      });
      return 0;
    } finally {
      await speed.close();
      await dlq.close();
      await store.close();
      await cassandra.shutdown();
    }
  },
};
