import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { AdclickError, ErrorCodes } from '../../../../shared/errors/errors.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { redisOptionsFrom } from '../../../../shared/redis/options.ts';
import { createRedis, pingRedis, translateRedisError } from '../../../../shared/redis/redis.ts';
import { closedPort } from '../../../helpers/ports.ts';
import { requireRedis, testConfig } from '../../../helpers/services.ts';

const config = testConfig();

beforeAll(async () => {
  await requireRedis(config);
});

describe('Redis through shared/redis', () => {
  it('answers PING and round-trips a value', async () => {
    const client = createRedis(redisOptionsFrom(config), silentLogger());
    onTestFinished(() => client.disconnect());
    await pingRedis(client);
    const key = `test:redis:${randomBytes(4).toString('hex')}`;
    onTestFinished(async () => {
      await client.del(key);
    });
    await client.set(key, 'v', 'EX', 60);
    expect(await client.get(key)).toBe('v');
  });

  it('runs with the persistence and eviction settings the queues rely on', async () => {
    const client = createRedis(redisOptionsFrom(config), silentLogger());
    onTestFinished(() => client.disconnect());
    if (config.redis.local) {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    }
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
  });

  it('reports an unreachable Redis as retryable UNAVAILABLE', async () => {
    const port = await closedPort();
    const client = createRedis(
      { url: `redis://127.0.0.1:${port}`, maxRetriesPerRequest: 0, connectTimeoutMs: 500 },
      silentLogger(),
    );
    onTestFinished(() => client.disconnect());
    const error = await pingRedis(client, 2000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdclickError);
    expect((error as AdclickError).code).toBe(ErrorCodes.UNAVAILABLE);
    expect((error as AdclickError).retryable).toBe(true);
  });

  it('translates an error reply into INTERNAL', async () => {
    const client = createRedis(redisOptionsFrom(config), silentLogger());
    onTestFinished(() => client.disconnect());
    const error = await client.call('NOT-A-COMMAND').catch((e: unknown) => translateRedisError(e, 'calling'));
    expect((error as AdclickError).code).toBe(ErrorCodes.INTERNAL);
  });
});
