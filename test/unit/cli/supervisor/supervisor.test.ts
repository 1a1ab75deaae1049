import { describe, expect, it } from 'vitest';
import { Supervisor } from '../../../../cli/supervisor/supervisor.ts';
import type { SupervisorEvent } from '../../../../cli/supervisor/types.ts';
import { waitFor } from '../../../../shared/async/wait-for.ts';

const node = process.execPath;

describe('Supervisor', () => {
  it('restarts a crashed process and reports the restart', async () => {
    const events: SupervisorEvent[] = [];
    const supervisor = new Supervisor((e) => events.push(e), { initialBackoffMs: 50 });
    supervisor.add({ name: 'crasher', command: node, args: ['-e', 'setTimeout(() => process.exit(3), 50)'] });
    await waitFor(() => events.filter((e) => e.type === 'started').length >= 3, { timeoutMs: 10_000 });
    await supervisor.stop();
    const exited = events.find((e) => e.type === 'exited');
    expect(exited?.code).toBe(3);
    expect(events.some((e) => e.type === 'restarting' && e.delayMs === 50)).toBe(true);
    expect(events.some((e) => e.type === 'restarting' && e.delayMs === 100)).toBe(true);
  });

  it('stops long-running children on stop() and forwards their output', async () => {
    const events: SupervisorEvent[] = [];
    const lines: string[] = [];
    const supervisor = new Supervisor((e) => events.push(e), {
      output: (name, line) => lines.push(`${name}: ${line}`),
    });
    supervisor.add({
      name: 'server',
      command: node,
      args: ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'],
    });
    await waitFor(() => lines.includes('server: ready'), { timeoutMs: 10_000 });
    const pid = supervisor.pids().server!;
    await supervisor.stop();
    expect(events.at(-1)).toMatchObject({ name: 'server', type: 'stopped', signal: 'SIGTERM' });
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
