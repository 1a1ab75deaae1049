import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ProcessSpec, SupervisorEvent, SupervisorOptions } from './types.ts';

interface Child {
  spec: ProcessSpec;
  process?: ChildProcess;
  startedAt: number;
  backoffMs: number;
  timer?: NodeJS.Timeout;
}

/**
 * Runs long-lived processes (the layers of `adclick start`), restarts any that crashes with a
 * growing delay, reports every start, exit and restart, and stops them all on `stop()`.
 */
export class Supervisor {
  readonly #children = new Map<string, Child>();
  readonly #options: Required<Omit<SupervisorOptions, 'output'>> & Pick<SupervisorOptions, 'output'>;
  readonly #onEvent: (event: SupervisorEvent) => void;
  #stopping = false;

  constructor(onEvent: (event: SupervisorEvent) => void, options: SupervisorOptions = {}) {
    this.#onEvent = onEvent;
    this.#options = {
      initialBackoffMs: options.initialBackoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      stableAfterMs: options.stableAfterMs ?? 60_000,
      stopGraceMs: options.stopGraceMs ?? 15_000,
      output: options.output,
    };
  }

  /** Starts a process and keeps it running until `stop()`. */
  add(spec: ProcessSpec): void {
    const child: Child = { spec, startedAt: 0, backoffMs: this.#options.initialBackoffMs };
    this.#children.set(spec.name, child);
    this.#launch(child);
  }

  /** Pids of the running children by name (for status output and tests). */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.#children].map(([name, c]) => [name, c.process?.pid]));
  }

  /** SIGTERM to every child, SIGKILL after the grace period; resolves when all have exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#children.values()].map((c) => this.#stopChild(c)));
  }

  #launch(child: Child): void {
    const { spec } = child;
    const proc = spawn(spec.command, spec.args, {
      env: spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.process = proc;
    child.startedAt = Date.now();
    for (const stream of [proc.stdout, proc.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.#options.output?.(spec.name, line));
    }
    this.#onEvent({ name: spec.name, type: 'started', pid: proc.pid });
    proc.once('exit', (code, signal) => {
      child.process = undefined;
      if (this.#stopping) {
        this.#onEvent({ name: spec.name, type: 'stopped', code, signal });
        return;
      }
      this.#onEvent({ name: spec.name, type: 'exited', code, signal });
      const ranFor = Date.now() - child.startedAt;
      if (ranFor >= this.#options.stableAfterMs) child.backoffMs = this.#options.initialBackoffMs;
      const delayMs = child.backoffMs;
      child.backoffMs = Math.min(child.backoffMs * 2, this.#options.maxBackoffMs);
      this.#onEvent({ name: spec.name, type: 'restarting', delayMs });
      child.timer = setTimeout(() => this.#launch(child), delayMs);
    });
  }

  async #stopChild(child: Child): Promise<void> {
    if (child.timer) clearTimeout(child.timer);
    const proc = child.process;
    if (proc === undefined || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const killTimer = setTimeout(() => proc.kill('SIGKILL'), this.#options.stopGraceMs);
    await exited;
    clearTimeout(killTimer);
  }
}
