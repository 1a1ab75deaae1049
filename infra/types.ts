import type { AdclickConfig } from '../shared/config/types.ts';
import type { Logger } from '../shared/logger/logger.ts';

/** What every local service implementation receives. */
export interface InfraContext {
  config: AdclickConfig;
  logger: Logger;
  /** `<ADCLICK_HOME>`: `cache/` for downloads, `data/<service>/`, `logs/<service>.log`, `run/<service>.pid`. */
  home: string;
}

export interface ServiceHealth {
  name: string;
  /** host:port or URL users connect to. */
  address: string;
  /** `external` when the user pointed adclick at their own cluster: nothing local is managed. */
  managed: 'local' | 'external';
  healthy: boolean;
  pid?: number;
  /** Why it is unhealthy, or a short detail when healthy (e.g. broker count). */
  detail: string;
}

/**
 * A service `adclick up` can install, start, health-check and stop on this machine (no Docker).
 * `install` downloads once into `<home>/cache`; `start` is a no-op when the service is already
 * running and healthy; `stop` stops only the process it started (by pid file), leaving data.
 */
export interface LocalService {
  readonly name: 'kafka' | 'cassandra' | 's3' | 'redis';
  /** True when the config points at an external cluster (env var set): nothing is started. */
  isExternal(config: AdclickConfig): boolean;
  address(config: AdclickConfig): string;
  install(ctx: InfraContext): Promise<void>;
  start(ctx: InfraContext): Promise<void>;
  /** A real check: Kafka metadata, a CQL query, S3 ListBuckets, Redis PING. */
  health(ctx: InfraContext): Promise<ServiceHealth>;
  /** Post-start provisioning that is idempotent: topics, keyspace + migrations, bucket. */
  provision(ctx: InfraContext): Promise<void>;
  stop(ctx: InfraContext): Promise<void>;
}
