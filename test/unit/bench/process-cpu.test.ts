import { describe, expect, it } from 'vitest';
import { cpuSeconds } from '../../../bench/speed/process-cpu.ts';

describe('cpuSeconds', () => {
  it("reads a process's user + system time from /proc, as Node counts its own", () => {
    const spin = performance.now() + 200;
    while (performance.now() < spin) Math.sqrt(Math.random());
    const usage = process.cpuUsage();
    const own = cpuSeconds(process.pid);
    // Ticks are 10 ms, and a little more CPU passes between the two reads.
    expect(own).not.toBeNull();
    expect(own!).toBeGreaterThan((usage.user + usage.system) / 1e6 - 0.05);
    expect(own!).toBeLessThan((usage.user + usage.system) / 1e6 + 0.1);
  });

  it('is null for no process or one that is gone', () => {
    expect(cpuSeconds(undefined)).toBeNull();
    expect(cpuSeconds(2 ** 22 + 12345)).toBeNull();
  });
});
