import { describe, expect, it } from 'vitest';
import { parseClick } from '../../../../shared/click-event/click-event.ts';
import { generateAll } from '../../../../shared/generator/generator.ts';
import { partitionForKey } from '../../../../shared/partitioning/partition-for-key.ts';
import { recountAll, recountSpeed } from '../../../helpers/recount.ts';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('generateClicks', () => {
  const records = generateAll({ seed: 7, clicks: 20_000, startMs: START, lateFraction: 0.02 });

  it('is deterministic for a seed', () => {
    expect(generateAll({ seed: 7, clicks: 500, startMs: START })).toEqual(
      generateAll({ seed: 7, clicks: 500, startMs: START }),
    );
    expect(generateAll({ seed: 8, clicks: 500, startMs: START })).not.toEqual(
      generateAll({ seed: 7, clicks: 500, startMs: START }),
    );
  });

  it('produces the requested number of distinct valid clicks plus duplicates and malformed records', () => {
    const kinds = new Map<string, number>();
    for (const r of records) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
    expect((kinds.get('valid') ?? 0) + (kinds.get('late') ?? 0)).toBe(20_000);
    expect(kinds.get('duplicate')).toBeGreaterThan(20_000 * 0.03);
    expect(kinds.get('malformed')).toBeGreaterThan(20_000 * 0.005);
    expect(kinds.get('late')).toBeGreaterThan(20_000 * 0.01);
  });

  it('encodes valid records that parse back to their event, and malformed ones that do not', () => {
    for (const r of records) {
      const parsed = parseClick(r.value);
      if (r.kind === 'malformed') expect(parsed.ok, r.value).toBe(false);
      else expect(parsed).toEqual({ ok: true, event: r.event });
    }
  });

  it('keys records by ad_id and fills the default-partitioner partition', () => {
    for (const r of records.slice(0, 500)) {
      if (r.key !== null) expect(r.partition).toBe(partitionForKey(r.key, 12));
      if (r.event) expect(r.key).toBe(r.event.adId);
    }
  });

  it('skews ad popularity (Zipf): the top ad gets far more than the median ad', () => {
    const perAd = new Map<string, number>();
    for (const r of records) if (r.event) perAd.set(r.event.adId, (perAd.get(r.event.adId) ?? 0) + 1);
    const counts = [...perAd.values()].sort((a, b) => b - a);
    expect(counts[0]!).toBeGreaterThan(20 * counts[Math.floor(counts.length / 2)]!);
  });

  it('gives the speed recount fewer clicks than the full recount: exactly the late ones', () => {
    const speed = recountSpeed(records, 15_000);
    const all = recountAll(records);
    expect(all.total).toBe(20_000);
    expect(speed.late.size).toBeGreaterThan(0);
    expect(speed.total + speed.late.size).toBe(all.total);
  });

  it('with a clock, stamps each click with the clock time (minus its jitter or lateness), not its position', () => {
    let now = 1_800_000_000_000;
    const records = generateAll({
      seed: 3,
      clicks: 2000,
      startMs: 0,
      clicksPerSecond: 1_000_000,
      lateFraction: 0.05,
      clock: () => (now += 7),
    });
    const clicks = records.filter((r) => r.kind === 'valid' || r.kind === 'late');
    expect(clicks.length).toBeGreaterThan(1000);
    // The clock ticks 7 ms per record: every click is stamped within the run's clock span.
    const span = records.length * 7;
    for (const r of clicks) {
      const behind = now - r.event!.timestampMs;
      expect(behind).toBeGreaterThanOrEqual(0);
      expect(behind).toBeLessThan(r.kind === 'late' ? 300_000 + 3000 + span : 3000 + span);
      if (r.kind === 'late') expect(behind).toBeGreaterThanOrEqual(300_000);
    }
  });
});
