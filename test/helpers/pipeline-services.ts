/**
 * Stops and starts one local service (`adclick down/up <service>`) for fault tests. It acts on the
 * services of ADCLICK_HOME / LOCAL_PORT_OFFSET as the test process sees them: run fault tests
 * alone (the `faults` project), never beside tests that share those services.
 */
import { down, up } from '../../infra/commands.ts';
import { selectServices } from '../../infra/services.ts';
import type { InfraContext } from '../../infra/types.ts';
import { createLogger } from '../../shared/logger/logger.ts';
import { testConfig } from './services.ts';

export type ServiceName = 'kafka' | 'cassandra' | 's3' | 'redis';

function infraContext(): InfraContext {
  const config = testConfig();
  return { config, logger: createLogger({ level: 'warn' }), home: config.home };
}

/** Stops a local service (fails if it is external: a test must not pretend to have stopped it). */
export async function stopService(name: ServiceName): Promise<void> {
  const ctx = infraContext();
  const [service] = selectServices([name]);
  if (service!.isExternal(ctx.config))
    throw new Error(`${name} is external (its env var is set); fault tests need the local one`);
  await down(ctx, { services: [name] });
}

/** Starts a local service again and waits for its health check (and idempotent provisioning). */
export async function startService(name: ServiceName): Promise<void> {
  await up(infraContext(), { services: [name] });
}
