import { randomBytes } from 'node:crypto';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { redisOptionsFrom } from '../../../../shared/redis/options.ts';
import { createRedis } from '../../../../shared/redis/redis.ts';
import { requireRedis, testConfig } from '../../../helpers/services.ts';

const config = testConfig();
const logger = silentLogger();

beforeAll(async () => {
  await requireRedis(config);
});

describe('BullMQ on the Redis from shared/redis', () => {
  it('enqueues a job and a worker processes it', async () => {
    const name = `test-queue-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const prefix = config.redis.queuePrefix;
    const queueConnection = createRedis(redisOptionsFrom(config), logger);
    // Workers block on Redis; BullMQ requires their connection to wait instead of failing commands.
    const workerConnection = createRedis(redisOptionsFrom(config, { maxRetriesPerRequest: null }), logger);
    const queue = new Queue(name, { connection: queueConnection, prefix });
    const events = new QueueEvents(name, {
      connection: createRedis(redisOptionsFrom(config, { maxRetriesPerRequest: null }), logger),
      prefix,
    });
    const seen: Array<{ hour: string }> = [];
    const worker = new Worker<{ hour: string }, { rows: number }>(
      name,
      async (job: Job<{ hour: string }>) => {
        seen.push(job.data);
        return { rows: 7 };
      },
      { connection: workerConnection, prefix },
    );
    onTestFinished(async () => {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
      queueConnection.disconnect();
      workerConnection.disconnect();
    });
    await events.waitUntilReady();

    const job = await queue.add('hourly', { hour: '2026-01-01T12' }, { jobId: 'hourly-2026-01-01T12' });
    const result = await job.waitUntilFinished(events, 30_000);

    expect(result).toEqual({ rows: 7 });
    expect(seen).toEqual([{ hour: '2026-01-01T12' }]);
    expect(await queue.getJobCounts('completed')).toEqual({ completed: 1 });
    // The same job id is not enqueued twice (idempotent scheduling). BullMQ rejects ':' in custom ids.
    await queue.add('hourly', { hour: '2026-01-01T12' }, { jobId: 'hourly-2026-01-01T12' });
    expect(await queue.getJobCounts('completed', 'waiting')).toEqual({ completed: 1, waiting: 0 });
  });
});
