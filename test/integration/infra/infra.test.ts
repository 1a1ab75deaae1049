import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status, up } from '../../../infra/commands.ts';
import { kafkaService } from '../../../infra/kafka/kafka.ts';
import { runningPid } from '../../../infra/process/process.ts';
import { redisService } from '../../../infra/redis/redis.ts';
import { s3Service } from '../../../infra/s3/s3.ts';
import type { InfraContext } from '../../../infra/types.ts';
import { loadConfig } from '../../../shared/config/config.ts';
import { AdclickError, ErrorCodes } from '../../../shared/errors/errors.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import { requireKafka, requireRedis, requireS3, testConfig } from '../../helpers/services.ts';

const config = testConfig();
const ctx: InfraContext = { config, logger: silentLogger(), home: config.home };
const local = [kafkaService, s3Service, redisService].filter((s) => !s.isExternal(config));
let otherHome: string;

beforeAll(async () => {
  await Promise.all([requireKafka(config), requireS3(config), requireRedis(config)]);
  otherHome = mkdtempSync(join(tmpdir(), 'adclick-home-'));
});

afterAll(() => {
  rmSync(otherHome, { recursive: true, force: true });
});

describe('adclick up / status against the running services', () => {
  it('up on healthy services starts nothing new (same pids) and reports them healthy', async () => {
    const services = local.map((s) => s.name);
    const before = services.map((name) => runningPid(config.home, name));
    await up(ctx, { services });
    expect(services.map((name) => runningPid(config.home, name))).toEqual(before);
    const rows = await status(ctx);
    for (const name of ['kafka', 's3', 'redis']) {
      expect(rows.find((r) => r.name === name)).toMatchObject({ healthy: true });
    }
  });

  it('a service port held by a process adclick did not start gives a message that says what to do', async () => {
    // Another home has no pid files, so the running services look like someone else's processes.
    const stranger: InfraContext = { ...ctx, config: { ...config, home: otherHome }, home: otherHome };
    for (const [service, port, envVar] of [
      [kafkaService, config.localPorts.kafka, 'KAFKA_BROKERS'],
      [s3Service, config.localPorts.s3, 'S3_ENDPOINT'],
      [redisService, config.localPorts.redis, 'REDIS_URL'],
    ] as const) {
      if (service.isExternal(config)) continue;
      const error = await service.start(stranger).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AdclickError);
      expect((error as AdclickError).code).toBe(ErrorCodes.INFRA);
      expect((error as AdclickError).message).toContain(`port ${port}`);
      expect((error as AdclickError).message).toContain(envVar);
    }
  });

  it('services given by env vars are external: health-checked, never started', async () => {
    const env = {
      ADCLICK_HOME: otherHome,
      KAFKA_BROKERS: config.kafka.brokers.join(','),
      S3_ENDPOINT: config.s3.endpoint ?? '',
      AWS_ACCESS_KEY_ID: config.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: config.s3.secretAccessKey,
      REDIS_URL: config.redis.url,
    };
    const external = loadConfig(env);
    const extCtx: InfraContext = { config: external, logger: silentLogger(), home: otherHome };
    await up(extCtx, { services: ['kafka', 's3', 'redis'] });
    const rows = (await status(extCtx)).filter((r) => r.name !== 'cassandra');
    expect(rows.map((r) => [r.name, r.managed, r.healthy, r.pid])).toEqual([
      ['kafka', 'external', true, undefined],
      ['s3', 'external', true, undefined],
      ['redis', 'external', true, undefined],
    ]);
  });
});
