/** Reads a test topic back from its beginning (dead letters, for instance). */
import { randomBytes } from 'node:crypto';
import { sleep } from '../../shared/async/wait-for.ts';
import type { AdclickConfig } from '../../shared/config/types.ts';
import { createKafka, kafkaOptionsFrom } from '../../shared/kafka/kafka.ts';
import { silentLogger } from '../../shared/logger/logger.ts';

/**
 * The JSON values of `topic` from its beginning, once `count` arrived or `timeoutMs` passed (a
 * short extra wait catches records beyond `count`, so "too many" shows too).
 */
export async function readTopic(
  config: AdclickConfig,
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<Array<Record<string, unknown>>> {
  const kafka = createKafka(kafkaOptionsFrom(config, { clientId: 'test-topic-reader' }), silentLogger());
  const consumer = kafka.consumer({ groupId: `test-reader-${randomBytes(4).toString('hex')}` });
  const out: Array<Record<string, unknown>> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        out.push(JSON.parse(String(message.value)) as Record<string, unknown>);
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (out.length < count && Date.now() < deadline) await sleep(200);
    await sleep(1000);
  } finally {
    await consumer.disconnect();
  }
  return out;
}
