import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import type { MachineInfo } from './types.ts';

/** `<name.version>` from one of infra's pom files (what `adclick up` installs locally). */
function pomVersion(root: string, pom: string, property: string): string | undefined {
  try {
    const xml = readFileSync(join(root, 'infra', pom), 'utf8');
    return new RegExp(`<${property}>([^<]+)</${property}>`).exec(xml)?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The commit measured (short hash), marked when the work tree has uncommitted changes to tracked
 * files; undefined outside a git checkout.
 */
export function codeVersion(root: string): string | undefined {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8', timeout: 10_000 });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return undefined;
  const dirty = git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' with uncommitted changes' : ''}`;
}

/**
 * The code measured, CPU, memory, Node and the services' versions. Running services answer through
 * `adclick status --json` (Cassandra and Redis name their version there); Kafka and the S3 store
 * are described by the version infra installs, when they are the local ones.
 */
export function machineInfo(root: string): MachineInfo {
  const services: Record<string, string> = {};
  const runStatus = () =>
    spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'status', '--json'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
  let status = runStatus();
  // A busy machine can fail one status round; a second one tells a real outage apart.
  if (status.status !== 0) status = runStatus();
  const pinned: Record<string, string | undefined> = {
    kafka: pomVersion(root, 'kafka/pom.xml', 'kafka.version'),
    s3: pomVersion(root, 's3/pom.xml', 's3proxy.version'),
  };
  try {
    const rows = JSON.parse(status.stdout) as Array<{
      name: string;
      address: string;
      managed: string;
      healthy: boolean;
      detail: string;
    }>;
    for (const row of rows) {
      const local = row.managed === 'local' && pinned[row.name] !== undefined;
      const version = local ? `${row.name === 's3' ? 'S3Proxy' : 'Kafka'} ${pinned[row.name]}, ` : '';
      services[row.name] =
        `${version}${row.detail} (${row.managed} at ${row.address}${row.healthy ? '' : ', UNHEALTHY'})`;
    }
  } catch {
    services.status = `adclick status failed (exit ${status.status}): ${`${status.stdout}${status.stderr}`.trim().slice(-400)}`;
  }
  const cpu = cpus();
  const code = codeVersion(root);
  return {
    ...(code === undefined ? {} : { code }),
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    os: `${type()} ${release()}`,
    loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
    services,
  };
}
