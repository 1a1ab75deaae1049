import { readFileSync } from 'node:fs';
import { runningPid } from '../../infra/process/process.ts';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every common platform. */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, or null when it cannot be read. */
export function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Cores used by each process over a stretch of wall time (null: not running locally). */
export interface CoresUsed {
  wallSeconds: number;
  speedLayer: number | null;
  cassandra: number | null;
  kafka: number | null;
}

/**
 * Starts measuring the CPU of the speed process and of the local Cassandra and Kafka that
 * `adclick up` started (found by their pid files under `home`); `stop` returns the cores each
 * used since. Services run elsewhere are not measured.
 */
export function measureCores(home: string, speedPid: number): { stop(): CoresUsed } {
  const pids = {
    speedLayer: speedPid,
    cassandra: runningPid(home, 'cassandra'),
    kafka: runningPid(home, 'kafka'),
  };
  const startedAt = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  return {
    stop(): CoresUsed {
      const wallSeconds = (performance.now() - startedAt) / 1000;
      const cores = (name: keyof typeof pids): number | null => {
        const [start, end] = [before[name], cpuSeconds(pids[name])];
        return start == null || end === null ? null : Number(((end - start) / wallSeconds).toFixed(2));
      };
      return {
        wallSeconds: Number(wallSeconds.toFixed(1)),
        speedLayer: cores('speedLayer'),
        cassandra: cores('cassandra'),
        kafka: cores('kafka'),
      };
    },
  };
}
