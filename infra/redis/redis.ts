import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { AdclickConfig } from '../../shared/config/types.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import { silentLogger } from '../../shared/logger/logger.ts';
import { redactRedisUrl, redisOptionsFrom } from '../../shared/redis/options.ts';
import { createRedis, pingRedis } from '../../shared/redis/redis.ts';
import { lastLines } from '../java/maven.ts';
import { assertPortFree, runningPid, servicePaths, spawnDaemon, stopDaemon } from '../process/process.ts';
import type { InfraContext, LocalService, ServiceHealth } from '../types.ts';
import { type RedisLayout, redisConf, redisPaths } from './config.ts';

const run = promisify(execFile);

/** Where `redis-server` is: PATH first, then Debian's location. */
export function findRedisServer(pathEnv = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...pathEnv.split(delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin']) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Installs Debian's `redis-server` package when no `redis-server` binary exists. Needs root (apt);
 * without it, the message says which command to run.
 */
export async function installRedisServer(ctx: InfraContext): Promise<string> {
  const found = findRedisServer();
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new AdclickError(
      ErrorCodes.INFRA,
      '`redis-server` is not installed and installing it needs root. Run ' +
        '`sudo apt-get update && sudo apt-get install -y redis-server`, then `adclick up` again ' +
        '(or set REDIS_URL to use your own Redis).',
    );
  }
  ctx.logger.info({ service: 'redis' }, 'installing redis-server with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update'], { env, timeout: 300_000, maxBuffer: 32 * 1024 * 1024 });
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], {
      env,
      timeout: 600_000,
      maxBuffer: 32 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new AdclickError(
      ErrorCodes.INFRA,
      `apt-get install redis-server failed:\n${lastLines(`${e.stdout ?? ''}${e.stderr ?? ''}`, 15)}`,
      { cause: error },
    );
  }
  const installed = findRedisServer();
  if (!installed) throw new AdclickError(ErrorCodes.INFRA, 'redis-server was installed but is not on PATH');
  return installed;
}

function layout(ctx: InfraContext): RedisLayout {
  return { dataDir: servicePaths(ctx.home, 'redis').dataDir, port: ctx.config.localPorts.redis };
}

/** Debian's Redis 7 on its own port and data dir (any Redis already running is left alone). */
export const redisService: LocalService = {
  name: 'redis',

  isExternal: (config: AdclickConfig) => !config.redis.local,

  address: (config: AdclickConfig) => redactRedisUrl(config.redis.url),

  async install(ctx) {
    await installRedisServer(ctx);
  },

  async start(ctx) {
    if (runningPid(ctx.home, 'redis') !== undefined) return;
    const l = layout(ctx);
    await assertPortFree(l.port, 'Redis', 'REDIS_URL');
    const binary = findRedisServer();
    if (!binary) throw new AdclickError(ErrorCodes.INFRA, 'redis-server is not installed; run `adclick up`');
    mkdirSync(l.dataDir, { recursive: true });
    const { conf } = redisPaths(l);
    writeFileSync(conf, redisConf(l));
    const pid = spawnDaemon({ name: 'redis', home: ctx.home, command: binary, args: [conf], cwd: l.dataDir });
    ctx.logger.info({ service: 'redis', pid }, 'started Redis');
  },

  async health(ctx): Promise<ServiceHealth> {
    const external = !ctx.config.redis.local;
    const base = {
      name: 'redis',
      address: redisService.address(ctx.config),
      managed: external ? ('external' as const) : ('local' as const),
      pid: external ? undefined : runningPid(ctx.home, 'redis'),
    };
    const client = createRedis(
      redisOptionsFrom(ctx.config, {
        // Queued until the first connection attempt, then failed at once if it does not succeed.
        maxRetriesPerRequest: 0,
        connectTimeoutMs: 1500,
      }),
      // Health checks expect failures; their connection errors are not worth a warning line.
      silentLogger(),
    );
    try {
      await pingRedis(client, 2000);
      const info = await client.info('server');
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
      return { ...base, healthy: true, detail: `PONG, Redis ${version}` };
    } catch (error) {
      return { ...base, healthy: false, detail: (error as Error).message };
    } finally {
      client.disconnect();
    }
  },

  async provision() {
    // BullMQ creates its keys on first use; nothing to prepare.
  },

  async stop(ctx) {
    // SIGTERM makes Redis flush the append-only file before exiting.
    await stopDaemon(ctx.home, 'redis', 30_000);
  },
};
