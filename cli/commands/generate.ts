import { sleep } from '../../shared/async/wait-for.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import { generateClicks } from '../../shared/generator/generator.ts';
import type { GeneratedRecord } from '../../shared/generator/types.ts';
import { assertTopicExists, createKafka, kafkaOptionsFrom } from '../../shared/kafka/kafka.ts';
import { KafkaClickPublisher } from '../../shared/kafka/kafka-click-publisher.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';

const TICK_MS = 100;

function fraction(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    throw new AdclickError(
      ErrorCodes.INVALID_INPUT,
      `--${name} must be a fraction from 0 to 1, got "${value}". See \`adclick generate --help\`.`,
    );
  }
  return n;
}

export const command: CliCommand = {
  name: 'generate',
  summary:
    'Send synthetic clicks (skewed ads, duplicates, late and malformed ones) to Kafka or the collector',
  help: `Usage: adclick generate [options]

Sends a deterministic synthetic click stream at a steady rate, with event times that follow the
wall clock: Zipf-skewed ad popularity, several countries, duplicate click_ids (client retries),
clicks out of order by a few seconds, late clicks and malformed records.

Options:
  --rate <n>          clicks per second (default 100)
  --duration <s>      stop after this many seconds (default: until Ctrl-C, or --clicks)
  --clicks <n>        stop after this many distinct clicks
  --ads <n>           ad catalogue size (default 1000)
  --skew <s>          Zipf exponent of ad popularity, 0 = uniform (default 1.1)
  --duplicates <f>    fraction of records re-sending an earlier click (default 0.05)
  --late <f>          fraction of clicks 5 minutes behind the stream (default 0.01)
  --malformed <f>     fraction of malformed records (default 0.01)
  --seed <n>          random seed (default: the current time)
  --via <target>      kafka (default: produce to the click topic) or collector (POST to
                      http://<BIND_HOST>:<COLLECTOR_PORT>/v1/clicks as NDJSON)
  -h, --help          this text`,
  async run(ctx) {
    const o = parseOptions('generate', ctx.argv, {
      rate: { type: 'string' },
      duration: { type: 'string' },
      clicks: { type: 'string' },
      ads: { type: 'string' },
      skew: { type: 'string' },
      duplicates: { type: 'string' },
      late: { type: 'string' },
      malformed: { type: 'string' },
      seed: { type: 'string' },
      via: { type: 'string' },
    });
    const rate = intOption('generate', 'rate', o.rate, 100, 1);
    const durationS = intOption('generate', 'duration', o.duration, 0);
    const maxClicks = intOption('generate', 'clicks', o.clicks, 0);
    const via = o.via ?? 'kafka';
    if (via !== 'kafka' && via !== 'collector') {
      throw new AdclickError(ErrorCodes.INVALID_INPUT, `--via must be kafka or collector, got "${via}"`);
    }
    const config = ctx.config();
    const logger = ctx.logger();
    const stream = generateClicks({
      seed: intOption('generate', 'seed', o.seed, Date.now() % 2 ** 31),
      clicks: maxClicks > 0 ? maxClicks : Number.MAX_SAFE_INTEGER,
      startMs: Date.now(),
      ads: intOption('generate', 'ads', o.ads, 1000, 1),
      skew: o.skew === undefined ? undefined : Number(o.skew),
      clicksPerSecond: rate,
      // Event time is the wall clock at sending, even when the rate asked is not reached.
      clock: Date.now,
      duplicateFraction: fraction('duplicates', o.duplicates, 0.05),
      lateFraction: fraction('late', o.late, 0.01),
      malformedFraction: fraction('malformed', o.malformed, 0.01),
      partitions: config.kafka.partitions,
    });

    const kafka = createKafka(kafkaOptionsFrom(config), logger);
    const publisher = via === 'kafka' ? new KafkaClickPublisher(kafka, logger) : undefined;
    if (publisher) {
      await assertTopicExists(kafka, config.kafka.topic);
      await publisher.start();
    }
    const collectorUrl = `http://${config.bindHost}:${config.ports.collector}/v1/clicks`;
    const send = async (batch: GeneratedRecord[]): Promise<void> => {
      if (publisher) {
        await publisher.publish(
          config.kafka.topic,
          batch.map((r) => ({ key: r.key, value: r.value })),
        );
        return;
      }
      for (;;) {
        const response = await fetch(collectorUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: batch.map((r) => r.value).join('\n'),
        });
        await response.arrayBuffer();
        if (response.status !== 503) {
          if (response.status !== 202)
            throw new AdclickError(ErrorCodes.UNAVAILABLE, `collector answered ${response.status}`);
          return;
        }
        await sleep(Number(response.headers.get('retry-after') ?? 1) * 1000);
      }
    };

    const started = Date.now();
    let sent = 0;
    let lastReport = started;
    let owed = 0;
    try {
      while (!ctx.stopSignal.aborted && (durationS === 0 || Date.now() - started < durationS * 1000)) {
        const tickStart = Date.now();
        owed += (rate * TICK_MS) / 1000;
        const batch: GeneratedRecord[] = [];
        while (owed >= 1) {
          const next = stream.next();
          if (next.done) break;
          batch.push(next.value);
          owed--;
        }
        if (batch.length === 0 && owed >= 1) break;
        await send(batch);
        sent += batch.length;
        if (Date.now() - lastReport >= 5000) {
          lastReport = Date.now();
          const elapsed = (lastReport - started) / 1000;
          process.stderr.write(
            `generate: ${sent} records in ${elapsed.toFixed(0)} s (${(sent / elapsed).toFixed(0)}/s) via ${via}\n`,
          );
        }
        await sleep(Math.max(0, TICK_MS - (Date.now() - tickStart)));
      }
    } finally {
      await publisher?.close();
    }
    console.log(
      `generate: sent ${sent} records in ${((Date.now() - started) / 1000).toFixed(1)} s via ${via}`,
    );
    return 0;
  },
};
