import { existsSync, readFileSync } from 'node:fs';
import { waitFor } from '../shared/async/wait-for.ts';
import { AdclickError, ErrorCodes } from '../shared/errors/errors.ts';
import { lastLines } from './java/maven.ts';
import { runningPid, servicePaths } from './process/process.ts';
import { SERVICES, selectServices } from './services.ts';
import type { InfraContext, LocalService, ServiceHealth } from './types.ts';

export interface InfraCommandOptions {
  /** Subset of service names (default: all). */
  services?: string[];
  /** The services to act on, for tests (default: the real registry). */
  registry?: readonly LocalService[];
}

/** How long a freshly started service may take to pass its health check. */
const START_TIMEOUT_MS: Record<string, number> = {
  kafka: 120_000,
  cassandra: 300_000,
  s3: 90_000,
  redis: 30_000,
};

/**
 * Installs (once), starts and provisions every selected local service, all in parallel, each
 * waiting on its real health check; external services are only checked and provisioned. A service
 * that is already running and healthy is left as it is, so running `up` twice is harmless.
 *
 * @throws AdclickError `INFRA` naming every service that failed and why (the others still come up).
 */
export async function up(ctx: InfraContext, opts: InfraCommandOptions = {}): Promise<void> {
  const selected = selectServices(opts.services, opts.registry ?? SERVICES);
  const results = await Promise.allSettled(selected.map((s) => upOne(ctx, s)));
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${selected[i]?.name}: ${(r.reason as Error).message}`] : [],
  );
  if (failures.length > 0) {
    throw new AdclickError(ErrorCodes.INFRA, `adclick up failed for:\n  ${failures.join('\n  ')}`);
  }
}

async function upOne(ctx: InfraContext, service: LocalService): Promise<void> {
  const log = ctx.logger.child({ service: service.name });
  const started = Date.now();
  if (service.isExternal(ctx.config)) {
    const health = await service.health(ctx);
    if (!health.healthy) {
      throw new AdclickError(
        ErrorCodes.INFRA,
        `external ${service.name} at ${health.address} is not reachable: ${health.detail}`,
      );
    }
    await service.provision(ctx);
    log.info({ address: health.address }, 'external service reachable and provisioned');
    return;
  }
  if (runningPid(ctx.home, service.name) !== undefined && (await service.health(ctx)).healthy) {
    await service.provision(ctx);
    log.info({}, 'already running');
    return;
  }
  await service.install(ctx);
  await service.start(ctx);
  await waitUntilHealthy(ctx, service);
  await service.provision(ctx);
  log.info({ ms: Date.now() - started }, 'up');
}

/** Polls the health check, failing early (with the log's tail) if the process exits meanwhile. */
async function waitUntilHealthy(ctx: InfraContext, service: LocalService): Promise<void> {
  const exited = new AbortController();
  let lastDetail = '';
  try {
    await waitFor(
      async () => {
        if (runningPid(ctx.home, service.name) === undefined) {
          exited.abort();
          return false;
        }
        const health = await service.health(ctx);
        lastDetail = health.detail;
        return health.healthy;
      },
      {
        timeoutMs: START_TIMEOUT_MS[service.name] ?? 120_000,
        intervalMs: 500,
        description: `${service.name} to become healthy`,
        signal: exited.signal,
      },
    );
  } catch (error) {
    const { logFile } = servicePaths(ctx.home, service.name);
    const tail = existsSync(logFile) ? lastLines(readFileSync(logFile, 'utf8'), 20) : '(no log)';
    const why = exited.signal.aborted ? 'exited during start-up' : `is not healthy (${lastDetail})`;
    throw new AdclickError(ErrorCodes.INFRA, `${service.name} ${why}; last lines of ${logFile}:\n${tail}`, {
      cause: error,
    });
  }
}

/**
 * Stops the selected local services that `up` started (by pid file), in parallel; data stays.
 * External services are never touched.
 */
export async function down(ctx: InfraContext, opts: InfraCommandOptions = {}): Promise<void> {
  const selected = selectServices(opts.services, opts.registry ?? SERVICES).filter(
    (s) => !s.isExternal(ctx.config),
  );
  const results = await Promise.allSettled(
    selected.map(async (s) => {
      const pid = runningPid(ctx.home, s.name);
      if (pid === undefined) {
        ctx.logger.info({ service: s.name }, 'not running');
        return;
      }
      await s.stop(ctx);
      ctx.logger.info({ service: s.name, pid }, 'stopped');
    }),
  );
  const failures = results.flatMap((r, i) =>
    r.status === 'rejected' ? [`${selected[i]?.name}: ${(r.reason as Error).message}`] : [],
  );
  if (failures.length > 0) {
    throw new AdclickError(ErrorCodes.INFRA, `adclick down failed for:\n  ${failures.join('\n  ')}`);
  }
}

/** Health-checks every service (local or external) for real, in parallel. Never throws. */
export async function status(
  ctx: InfraContext,
  opts: Pick<InfraCommandOptions, 'registry'> = {},
): Promise<ServiceHealth[]> {
  return Promise.all(
    (opts.registry ?? SERVICES).map(async (s): Promise<ServiceHealth> => {
      const external = s.isExternal(ctx.config);
      const pid = external ? undefined : runningPid(ctx.home, s.name);
      try {
        const health = await s.health(ctx);
        return { ...health, pid: health.pid ?? pid };
      } catch (error) {
        return {
          name: s.name,
          address: s.address(ctx.config),
          managed: external ? 'external' : 'local',
          healthy: false,
          pid,
          detail: (error as Error).message,
        };
      }
    }),
  );
}

/** A fixed-width table of `status` rows for a terminal. */
export function formatStatus(rows: readonly ServiceHealth[]): string {
  const header = ['SERVICE', 'ADDRESS', 'MANAGED', 'PID', 'HEALTH', 'DETAIL'];
  const cells = rows.map((r) => [
    r.name,
    r.address,
    r.managed,
    r.pid === undefined ? '-' : String(r.pid),
    r.healthy ? 'healthy' : 'DOWN',
    r.detail.split('\n')[0] ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
