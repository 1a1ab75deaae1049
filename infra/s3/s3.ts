import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdclickConfig } from '../../shared/config/types.ts';
import { s3OptionsFrom } from '../../shared/s3/options.ts';
import { createS3Client, ensureBucket, listBuckets } from '../../shared/s3/s3.ts';
import { requireJava } from '../java/java.ts';
import { resolveMavenRuntime } from '../java/maven.ts';
import { assertPortFree, runningPid, servicePaths, spawnDaemon, stopDaemon } from '../process/process.ts';
import type { InfraContext, LocalService, ServiceHealth } from '../types.ts';
import { logbackXml, type S3Layout, s3JvmArgs, s3Paths, s3proxyProperties } from './config.ts';

const POM = fileURLToPath(new URL('./pom.xml', import.meta.url));

function layout(ctx: InfraContext): S3Layout {
  const paths = servicePaths(ctx.home, 's3');
  return {
    libDir: join(paths.cacheDir, 'lib'),
    dataDir: paths.dataDir,
    port: ctx.config.localPorts.s3,
    accessKeyId: ctx.config.s3.accessKeyId,
    secretAccessKey: ctx.config.s3.secretAccessKey,
  };
}

/** S3Proxy (filesystem backend) from Maven Central jars; see infra/README.md for why. */
export const s3Service: LocalService = {
  name: 's3',

  isExternal: (config: AdclickConfig) => !config.s3.local,

  address: (config: AdclickConfig) => config.s3.endpoint ?? 'AWS S3',

  async install(ctx) {
    await requireJava();
    await resolveMavenRuntime({
      name: 's3',
      pom: POM,
      libDir: layout(ctx).libDir,
      home: ctx.home,
      logger: ctx.logger,
    });
  },

  async start(ctx) {
    if (runningPid(ctx.home, 's3') !== undefined) return;
    const l = layout(ctx);
    await assertPortFree(l.port, 'S3 store', 'S3_ENDPOINT');
    const paths = s3Paths(l);
    mkdirSync(paths.confDir, { recursive: true });
    mkdirSync(paths.blobsDir, { recursive: true });
    writeFileSync(paths.properties, s3proxyProperties(l), { mode: 0o600 });
    writeFileSync(paths.logback, logbackXml());
    const pid = spawnDaemon({
      name: 's3',
      home: ctx.home,
      command: 'java',
      args: [...s3JvmArgs(l), 'org.gaul.s3proxy.Main', '--properties', paths.properties],
      cwd: l.dataDir,
    });
    ctx.logger.info({ service: 's3', pid }, 'started S3Proxy');
  },

  async health(ctx): Promise<ServiceHealth> {
    const external = !ctx.config.s3.local;
    const base = {
      name: 's3',
      address: s3Service.address(ctx.config),
      managed: external ? ('external' as const) : ('local' as const),
      pid: external ? undefined : runningPid(ctx.home, 's3'),
    };
    const client = createS3Client(
      s3OptionsFrom(ctx.config, { maxAttempts: 1, connectionTimeoutMs: 1500, requestTimeoutMs: 5000 }),
    );
    try {
      const buckets = await listBuckets(client);
      const hasBucket = buckets.includes(ctx.config.s3.bucket);
      return {
        ...base,
        healthy: true,
        detail: `${buckets.length} bucket(s)${hasBucket ? `, ${ctx.config.s3.bucket} present` : ''}`,
      };
    } catch (error) {
      return { ...base, healthy: false, detail: (error as Error).message };
    } finally {
      client.destroy();
    }
  },

  async provision(ctx) {
    const client = createS3Client(s3OptionsFrom(ctx.config));
    try {
      if (await ensureBucket(client, ctx.config.s3.bucket)) {
        ctx.logger.info({ bucket: ctx.config.s3.bucket }, 'created bucket');
      }
    } finally {
      client.destroy();
    }
  },

  async stop(ctx) {
    await stopDaemon(ctx.home, 's3', 20_000);
  },
};
