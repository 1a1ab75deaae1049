/** One supervised child process. */
export interface ProcessSpec {
  /** Shown in logs, e.g. `speed`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  /** Restart delay after a crash; doubles on quick successive crashes up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A child that ran at least this long before crashing restarts with the initial delay again. */
  stableAfterMs?: number;
  /** Grace period between SIGTERM and SIGKILL on stop. */
  stopGraceMs?: number;
  /** Receives every line a child prints, prefixed by its name. */
  output?: (name: string, line: string) => void;
}

export interface SupervisorEvent {
  name: string;
  type: 'started' | 'exited' | 'restarting' | 'stopped';
  pid?: number;
  code?: number | null;
  signal?: NodeJS.Signals | null;
  delayMs?: number;
}
