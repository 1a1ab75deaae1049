import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../shared/async/wait-for.ts';
import { connectCassandraClient } from '../../shared/cassandra/client.ts';
import { ensureKeyspace } from '../../shared/cassandra/keyspace.ts';
import { migrate } from '../../shared/cassandra/migrate.ts';
import { cassandraOptionsFrom } from '../../shared/cassandra/options.ts';
import type { AdclickConfig } from '../../shared/config/types.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import {
  assertPortFree,
  isAlive,
  runningPid,
  servicePaths,
  spawnDaemon,
  stopDaemon,
} from '../process/process.ts';
import type { InfraContext, LocalService, ServiceHealth } from '../types.ts';
import { installedVersion, installJars, jammJar, requireJava17 } from './install.ts';
import {
  cassandraYaml,
  confPaths,
  javaArgs,
  logbackXml,
  type NodeLayout,
  storageDirs,
} from './node-config.ts';

const NAME = 'cassandra';
/** First start on 2 cores measured 30–90 s; leave room for a busy machine. */
const START_TIMEOUT_MS = 180_000;
/** Cassandra drains (flushes memtables, closes the commit log) on SIGTERM. */
const STOP_GRACE_MS = 60_000;

function layout(ctx: InfraContext): NodeLayout {
  const paths = servicePaths(ctx.home, NAME);
  return {
    libDir: join(paths.cacheDir, 'lib'),
    dataDir: paths.dataDir,
    nativePort: ctx.config.localPorts.cassandra,
    storagePort: ctx.config.localPorts.cassandraStorage,
    clusterName: 'adclick-local',
  };
}

/** One CQL round trip; the release version when the node answers. */
async function queryReleaseVersion(config: AdclickConfig, timeoutMs: number): Promise<string> {
  const options = cassandraOptionsFrom(config, {
    keyspace: undefined,
    connectTimeoutMs: Math.min(timeoutMs, 5_000),
    requestTimeoutMs: timeoutMs,
    consistency: 'localOne',
    applicationName: 'adclick-health',
  });
  const client = await connectCassandraClient(options);
  try {
    const result = await client.execute('SELECT release_version FROM system.local');
    return String(result.first()?.get('release_version') ?? 'unknown');
  } finally {
    await client.shutdown().catch(() => undefined);
  }
}

function writeNodeConfig(node: NodeLayout): void {
  const conf = confPaths(node);
  mkdirSync(conf.triggersDir, { recursive: true });
  for (const dir of Object.values(storageDirs(node))) mkdirSync(dir, { recursive: true });
  writeFileSync(conf.yaml, cassandraYaml(node));
  writeFileSync(conf.logback, logbackXml());
}

function logTail(ctx: InfraContext, lines = 15): string {
  const { logFile } = servicePaths(ctx.home, NAME);
  if (!existsSync(logFile)) return '';
  return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** The local single-node Apache Cassandra 5.0 that `adclick up` runs (see infra/cassandra/README.md). */
export const cassandraService: LocalService = {
  name: NAME,

  isExternal: (config) => !config.cassandra.local,

  address: (config) => config.cassandra.contactPoints.join(','),

  async install(ctx) {
    if (this.isExternal(ctx.config)) return;
    requireJava17();
    installJars(layout(ctx).libDir, ctx.logger);
  },

  async start(ctx) {
    if (this.isExternal(ctx.config)) return;
    const node = layout(ctx);
    const existing = runningPid(ctx.home, NAME);
    if (existing === undefined) {
      requireJava17();
      if (!existsSync(node.libDir)) {
        throw new AdclickError(
          ErrorCodes.INFRA,
          `Cassandra is not installed in ${node.libDir}; run install first`,
        );
      }
      await assertPortFree(node.nativePort, 'Cassandra', 'CASSANDRA_CONTACT_POINTS');
      await assertPortFree(node.storagePort, 'Cassandra', 'CASSANDRA_CONTACT_POINTS');
      writeNodeConfig(node);
    }
    const pid =
      existing ??
      spawnDaemon({
        name: NAME,
        home: ctx.home,
        command: 'java',
        args: javaArgs(node, jammJar(node.libDir)),
        cwd: node.dataDir,
        // glibc's per-thread arenas make a JVM's RSS balloon; Cassandra's own scripts cap them too.
        env: { ...process.env, MALLOC_ARENA_MAX: '4' },
      });
    const started = Date.now();
    ctx.logger.info(
      { pid, address: this.address(ctx.config), alreadyRunning: existing !== undefined },
      'waiting for Cassandra',
    );
    let exited = false;
    await waitFor(
      async () => {
        if (!isAlive(pid)) {
          exited = true;
          return true;
        }
        return queryReleaseVersion(ctx.config, 5_000);
      },
      {
        timeoutMs: START_TIMEOUT_MS,
        intervalMs: 1_000,
        description: `Cassandra CQL on ${this.address(ctx.config)}`,
      },
    ).catch((error: unknown) => {
      throw new AdclickError(
        ErrorCodes.INFRA,
        `Cassandra (pid ${pid}) did not answer CQL within ${START_TIMEOUT_MS / 1000} s; ` +
          `see ${servicePaths(ctx.home, NAME).logFile}:\n${logTail(ctx)}`,
        { cause: error },
      );
    });
    if (exited) {
      throw new AdclickError(
        ErrorCodes.INFRA,
        `Cassandra exited during start-up; last lines of ${servicePaths(ctx.home, NAME).logFile}:\n${logTail(ctx)}`,
      );
    }
    ctx.logger.info(
      { pid, ms: Date.now() - started, version: installedVersion(node.libDir) },
      'Cassandra is up',
    );
  },

  async health(ctx): Promise<ServiceHealth> {
    const external = this.isExternal(ctx.config);
    const pid = external ? undefined : runningPid(ctx.home, NAME);
    const base = {
      name: NAME,
      address: this.address(ctx.config),
      managed: external ? ('external' as const) : ('local' as const),
      pid,
    };
    try {
      const version = await queryReleaseVersion(ctx.config, 5_000);
      return { ...base, healthy: true, detail: `Cassandra ${version}` };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const state = !external && pid === undefined ? 'not running' : reason;
      return { ...base, healthy: false, detail: state };
    }
  },

  async provision(ctx) {
    const { keyspace, replicationFactor } = ctx.config.cassandra;
    const client = await connectCassandraClient(
      cassandraOptionsFrom(ctx.config, { keyspace: undefined, applicationName: 'adclick-provision' }),
      ctx.logger,
    );
    try {
      await ensureKeyspace(client, keyspace, replicationFactor);
      await migrate(client, keyspace, ctx.logger);
    } finally {
      await client.shutdown().catch(() => undefined);
    }
  },

  async stop(ctx) {
    if (this.isExternal(ctx.config)) return;
    const stopped = await stopDaemon(ctx.home, NAME, STOP_GRACE_MS);
    ctx.logger.info({ stopped }, stopped ? 'Cassandra stopped' : 'Cassandra was not running');
  },
};
