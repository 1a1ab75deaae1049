import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { down, formatStatus, status, up } from '../../../infra/commands.ts';
import { servicePaths } from '../../../infra/process/process.ts';
import { selectServices } from '../../../infra/services.ts';
import type { InfraContext, LocalService, ServiceHealth } from '../../../infra/types.ts';
import { loadConfig } from '../../../shared/config/config.ts';
import { AdclickError, ErrorCodes } from '../../../shared/errors/errors.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function context(env: Record<string, string> = {}): InfraContext {
  const home = mkdtempSync(join(tmpdir(), 'adclick-infra-'));
  homes.push(home);
  const config = loadConfig({ ADCLICK_HOME: home, ...env });
  return { config, logger: silentLogger(), home };
}

/** A service whose process is simulated: `start` flips it healthy after `healthyAfterChecks`. */
function fakeService(
  name: LocalService['name'],
  options: { external?: boolean; failStart?: string; healthyAfterChecks?: number; dies?: boolean } = {},
) {
  const calls: string[] = [];
  let running = false;
  let checksLeft = options.healthyAfterChecks ?? 0;
  const service: LocalService = {
    name,
    isExternal: () => options.external ?? false,
    address: () => `${name}.test:1`,
    async install() {
      calls.push('install');
    },
    async start(ctx) {
      calls.push('start');
      if (options.failStart) throw new AdclickError(ErrorCodes.INFRA, options.failStart);
      running = true;
      // This test process stands in for the service's process: alive, so `up` waits on health.
      if (!options.dies) {
        mkdirSync(join(ctx.home, 'run'), { recursive: true });
        writeFileSync(servicePaths(ctx.home, name).pidFile, `${process.pid}\n`);
      }
    },
    async health(): Promise<ServiceHealth> {
      calls.push('health');
      const healthy = (options.external ?? false) || (running && checksLeft-- <= 0);
      return {
        name,
        address: `${name}.test:1`,
        managed: options.external ? 'external' : 'local',
        healthy,
        detail: healthy ? 'ok' : 'not yet',
      };
    },
    async provision() {
      calls.push('provision');
    },
    async stop(ctx) {
      calls.push('stop');
      running = false;
      rmSync(servicePaths(ctx.home, name).pidFile, { force: true });
    },
  };
  return { service, calls };
}

describe('selectServices', () => {
  it('returns every service by default and a subset in registry order', () => {
    expect(selectServices().map((s) => s.name)).toEqual(['kafka', 'cassandra', 's3', 'redis']);
    expect(selectServices(['redis', 'kafka']).map((s) => s.name)).toEqual(['kafka', 'redis']);
  });

  it('rejects an unknown name, listing the known ones', () => {
    expect(() => selectServices(['kafka', 'zookeeper'])).toThrow(
      /unknown service "zookeeper"; expected some of: kafka, cassandra, s3, redis/,
    );
  });
});

describe('up', () => {
  it('external services are only checked and provisioned, never installed or started', async () => {
    const ext = fakeService('kafka', { external: true });
    await up(context(), { registry: [ext.service] });
    expect(ext.calls).toEqual(['health', 'provision']);
  });

  it('a failing service is named while the others still come up', async () => {
    const bad = fakeService('kafka', { failStart: 'port 19092 is busy' });
    const good = fakeService('redis');
    const error = await up(context(), { registry: [bad.service, good.service] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdclickError);
    expect((error as AdclickError).code).toBe(ErrorCodes.INFRA);
    expect((error as AdclickError).message).toContain('kafka: port 19092 is busy');
    expect((error as AdclickError).message).not.toContain('redis:');
  });

  it('fails with the log tail when a started service has no live process', async () => {
    const dead = fakeService('s3', { healthyAfterChecks: 1000, dies: true });
    const error = await up(context(), { registry: [dead.service] }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/s3 exited during start-up; last lines of .*s3\.log/);
    expect(dead.calls).toEqual(['install', 'start']);
  });
});

describe('up twice', () => {
  it('starts and provisions a service, then only re-provisions it while it is healthy', async () => {
    const ctx = context();
    const svc = fakeService('redis', { healthyAfterChecks: 2 });
    await up(ctx, { registry: [svc.service] });
    expect(svc.calls).toEqual(['install', 'start', 'health', 'health', 'health', 'provision']);
    svc.calls.length = 0;
    await up(ctx, { registry: [svc.service] });
    expect(svc.calls).toEqual(['health', 'provision']);
    await down(ctx, { registry: [svc.service] });
    expect(svc.calls).toEqual(['health', 'provision', 'stop']);
  });
});

describe('down', () => {
  it('touches neither external services nor services that are not running', async () => {
    const ext = fakeService('kafka', { external: true });
    const local = fakeService('redis');
    await down(context(), { registry: [ext.service, local.service] });
    expect(ext.calls).toEqual([]);
    expect(local.calls).toEqual([]);
  });
});

describe('status', () => {
  it('reports a throwing health check as unhealthy instead of failing', async () => {
    const broken = fakeService('cassandra');
    broken.service.health = async () => {
      throw new Error('not implemented');
    };
    const rows = await status(context(), { registry: [broken.service] });
    expect(rows).toEqual([
      {
        name: 'cassandra',
        address: 'cassandra.test:1',
        managed: 'local',
        healthy: false,
        pid: undefined,
        detail: 'not implemented',
      },
    ]);
  });
});

describe('formatStatus', () => {
  it('prints aligned columns with one line per service', () => {
    const text = formatStatus([
      {
        name: 'kafka',
        address: '127.0.0.1:19092',
        managed: 'local',
        healthy: true,
        pid: 12,
        detail: '1 broker(s)',
      },
      {
        name: 'redis',
        address: 'redis://r:6379',
        managed: 'external',
        healthy: false,
        detail: 'PING failed\nmore',
      },
    ]);
    expect(text.split('\n')).toEqual([
      'SERVICE  ADDRESS          MANAGED   PID  HEALTH   DETAIL',
      'kafka    127.0.0.1:19092  local     12   healthy  1 broker(s)',
      'redis    redis://r:6379   external  -    DOWN     PING failed',
    ]);
  });
});
