import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '../../shared/async/wait-for.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';

/** Where a managed process keeps its pid, log and data under `<home>`. */
export function servicePaths(home: string, name: string) {
  return {
    pidFile: join(home, 'run', `${name}.pid`),
    logFile: join(home, 'logs', `${name}.log`),
    dataDir: join(home, 'data', name),
    cacheDir: join(home, 'cache', name),
  };
}

export interface DaemonSpec {
  name: string;
  home: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a long-running process detached from this one (it outlives `adclick up`), with stdout
 * and stderr appended to `<home>/logs/<name>.log`, and records its pid in `<home>/run/<name>.pid`.
 */
export function spawnDaemon(spec: DaemonSpec): number {
  const paths = servicePaths(spec.home, spec.name);
  mkdirSync(join(spec.home, 'run'), { recursive: true });
  mkdirSync(join(spec.home, 'logs'), { recursive: true });
  const out = openSync(paths.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    if (child.pid === undefined) {
      throw new AdclickError(
        ErrorCodes.INFRA,
        `could not start ${spec.name} (${spec.command}); see ${paths.logFile}`,
      );
    }
    child.unref();
    writeFileSync(paths.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** The pid recorded for `name` if that process is still alive (a stale pid file is removed). */
export function runningPid(home: string, name: string): number | undefined {
  const { pidFile } = servicePaths(home, name);
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid;
  rmSync(pidFile, { force: true });
  return undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) still answers kill(0).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Stops the process recorded for `name`: SIGTERM to its process group, then SIGKILL after
 * `graceMs`. Only that pid (and its group) is touched; data stays in place.
 */
export async function stopDaemon(home: string, name: string, graceMs = 30_000): Promise<boolean> {
  const pid = runningPid(home, name);
  if (pid === undefined) return false;
  signalGroup(pid, 'SIGTERM');
  try {
    await waitFor(() => !isAlive(pid), {
      timeoutMs: graceMs,
      intervalMs: 100,
      description: `${name} (pid ${pid}) to exit`,
    });
  } catch {
    signalGroup(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: `${name} (pid ${pid}) to die`,
    });
  }
  rmSync(servicePaths(home, name).pidFile, { force: true });
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Fails with a message that says what to do when a port adclick wants is taken by a process it
 * did not start.
 */
export async function assertPortFree(port: number, service: string, envHint: string): Promise<void> {
  if (await isPortOpen(port)) {
    throw new AdclickError(
      ErrorCodes.INFRA,
      `port ${port} needed by the local ${service} is already in use by another process. ` +
        `Stop that process (e.g. \`ss -ltnp 'sport = :${port}'\` shows it), or set ${envHint} to use your own ${service}.`,
    );
  }
}
