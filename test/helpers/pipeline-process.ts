/**
 * One `adclick <command>` child process of a test pipeline: started from the repository root with
 * the pipeline's environment, its output kept (the last part of it) for failure messages.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const OUTPUT_KEEP_CHARS = 200_000;

/** Output of a child, shared by every incarnation of one role so a failure shows the history. */
export class OutputLog {
  #text = '';

  append(chunk: string): void {
    this.#text += chunk;
    if (this.#text.length > OUTPUT_KEEP_CHARS) this.#text = this.#text.slice(-OUTPUT_KEEP_CHARS / 2);
  }

  get text(): string {
    return this.#text;
  }

  tail(chars = 3000): string {
    return this.#text.slice(-chars);
  }
}

/** Spawns `node --import tsx cli/main.ts ...args` with `env`; stdout and stderr go to `log`. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv, log: OutputLog): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => log.append(d.toString()));
  child.stderr?.on('data', (d: Buffer) => log.append(d.toString()));
  return child;
}

/** Resolves with the exit code (or the signal's name) once the child has exited. */
export function exited(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/**
 * Runs `adclick ...args` to completion.
 *
 * @throws Error with the command's output when it exits non-zero (unless `allowExit` holds the code)
 *   or runs longer than `timeoutMs`.
 */
export async function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { timeoutMs?: number; allowExit?: readonly number[] } = {},
): Promise<{ code: number; output: string }> {
  const log = new OutputLog();
  const child = spawnCli(args, env, log);
  const timeoutMs = options.timeoutMs ?? 180_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited(child);
  clearTimeout(timer);
  const allowed = options.allowExit ?? [0];
  if (typeof code !== 'number' || !allowed.includes(code))
    throw new Error(
      `adclick ${args.join(' ')} exited with ${code} (timeout ${timeoutMs} ms):\n${log.tail()}`,
    );
  return { code, output: log.text };
}
