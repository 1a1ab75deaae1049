import { createServer } from 'node:net';
import { join } from 'node:path';
import { Supervisor } from '../../cli/supervisor/supervisor.ts';
import { waitFor } from '../../shared/async/wait-for.ts';

/** A loopback port free right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningServices {
  collectorUrl: string;
  apiUrl: string;
  /** `http://127.0.0.1:port` of the speed layer's `/metrics`. */
  speedMetricsUrl: string;
  /** Pid of the speed-layer process now (it changes if the supervisor restarted it). */
  speedPid(): number | undefined;
  /** Every exit/restart the supervisor saw, as text. */
  restarts: string[];
  /** Last lines each service printed, for error messages. */
  tail(name: string): string;
  stop(): Promise<void>;
}

/**
 * Starts the collector, the speed layer and the query API as supervised `adclick` processes on
 * their own topic, keyspace, consumer group and ports (so nothing else running is touched), and
 * waits until the collector and the API answer `/readyz`.
 */
export async function startServices(
  root: string,
  env: NodeJS.ProcessEnv,
  group: string,
  progress: (line: string) => void,
): Promise<RunningServices> {
  const collectorPort = await freePort();
  const apiPort = await freePort();
  const speedMetricsPort = await freePort();
  const childEnv = { ...env, COLLECTOR_PORT: String(collectorPort), API_PORT: String(apiPort) };
  const tails = new Map<string, string[]>();
  const forwarded = new Map<string, number>();
  const restarts: string[] = [];
  const supervisor = new Supervisor(
    (event) => {
      if (event.type === 'exited' || event.type === 'restarting') {
        const what = `${event.name} ${event.type}${event.type === 'exited' ? ` (${event.signal ?? `code ${event.code}`})` : ''}`;
        restarts.push(what);
        progress(`e2e: ${what}`);
      }
    },
    {
      output: (name, line) => {
        const lines = tails.get(name) ?? [];
        lines.push(line);
        if (lines.length > 20) lines.shift();
        tails.set(name, lines);
        // Warnings are worth seeing live, but a noisy service must not drown the progress lines.
        const seen = forwarded.get(name) ?? 0;
        if (seen < 10) progress(`e2e ${name}| ${line.slice(0, 300)}`);
        forwarded.set(name, seen + 1);
      },
    },
  );
  const main = join(root, 'cli', 'main.ts');
  const add = (name: string, args: string[]) =>
    supervisor.add({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', main, ...args],
      env: childEnv,
    });
  add('collector', ['collector', '--metrics-port', '0']);
  add('speed', ['speed', '--group', group, '--metrics-port', String(speedMetricsPort)]);
  add('serve', ['serve']);
  const services: RunningServices = {
    collectorUrl: `http://127.0.0.1:${collectorPort}`,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    speedMetricsUrl: `http://127.0.0.1:${speedMetricsPort}`,
    speedPid: () => supervisor.pids().speed,
    restarts,
    tail: (name) => (tails.get(name) ?? []).join('\n'),
    stop: () => supervisor.stop(),
  };
  try {
    for (const [name, url] of [
      ['collector', services.collectorUrl],
      ['serve', services.apiUrl],
    ] as const) {
      await waitFor(async () => (await fetch(`${url}/readyz`)).ok, {
        timeoutMs: 120_000,
        intervalMs: 250,
        description: `${name} /readyz at ${url}`,
      }).catch((error: unknown) => {
        throw new Error(`${String(error)}; its output: ${services.tail(name).slice(-800)}`);
      });
    }
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
  return services;
}
