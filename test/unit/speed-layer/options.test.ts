import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../shared/config/config.ts';
import { speedOptionsFrom, validateSpeedOptions } from '../../../speed-layer/options.ts';

const config = loadConfig({});

describe('speed layer options', () => {
  it('defaults from the configuration are valid and keep the largest window plus a margin', () => {
    const o = speedOptionsFrom(config);
    expect(() => validateSpeedOptions(o)).not.toThrow();
    expect(o).toMatchObject({ topic: 'ad-clicks', dlqTopic: 'ad-clicks-dlq', groupId: 'adclick-speed' });
    expect(o.retainMinutes).toBe(Math.max(...config.aggregation.windowsMinutes) + 10);
  });

  it.each([
    [{ flushIntervalMs: 5000 }, /speed\.flushIntervalMs/],
    [{ dlqTopic: 'ad-clicks' }, /speed\.dlqTopic/],
    [{ groupId: ' ' }, /speed\.groupId/],
    [{ retainMinutes: 1 }, /speed\.retainMinutes/],
    [{ sessionTimeoutMs: 10 }, /speed\.sessionTimeoutMs/],
    [{ flushIntervalMs: 500, snapshotIntervalMs: 200 }, /speed\.snapshotIntervalMs/],
  ])('names the failing option %o', (override, message) => {
    expect(() => validateSpeedOptions(speedOptionsFrom(config, override))).toThrow(message);
  });
});
