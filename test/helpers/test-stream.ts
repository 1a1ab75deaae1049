/**
 * The workload every layer's exactness tests use: about five minutes of event time (6,000 clicks
 * at 20/s) over 50 skewed ads and 3 countries, with 5% duplicates, clicks out of order by up to
 * 4 s, 2% late by two minutes and 1% malformed records.
 */
import { parseClick } from '../../shared/click-event/click-event.ts';
import { generateAll } from '../../shared/generator/generator.ts';
import type { GeneratedRecord } from '../../shared/generator/types.ts';
import type { RecountInput } from './recount.ts';

export interface TestStreamOptions {
  seed: number;
  clicks?: number;
  startMs: number;
  partitions: number;
}

export function testStream({
  seed,
  clicks = 6000,
  startMs,
  partitions,
}: TestStreamOptions): GeneratedRecord[] {
  return generateAll({
    seed,
    clicks,
    startMs,
    ads: 50,
    skew: 1.1,
    countries: ['US', 'KR', 'DE'],
    clicksPerSecond: 20,
    outOfOrderMs: 4000,
    duplicateFraction: 0.05,
    lateFraction: 0.02,
    lateByMs: 120_000,
    malformedFraction: 0.01,
    partitions,
    adPrefix: `ad${seed}-`,
  });
}

/** What a recount sees of generated records: malformed ones never count. */
export function recountInputs(records: readonly GeneratedRecord[]): RecountInput[] {
  return records.map((r) => ({
    partition: r.partition,
    event: parseClick(r.value).ok ? r.event : undefined,
  }));
}
