import { judge, reported, TARGETS } from '../report/judge.ts';
import type { E2eResult, Figure } from '../report/types.ts';

/**
 * "Flat" in figures: what the second half of the run added, at most this share of the RSS bound
 * (5% of 1 GB ≈ 51 MB over the last half hour of a one-hour run).
 */
export const FLAT_SHARE = 0.05;

/** MB the speed layer's RSS grew over the second half of the run (least-squares trend). */
export function secondHalfGrowthMb(run: E2eResult): number {
  return Math.max(0, run.rss.slopeMbPerMinute) * (run.durationSeconds / 2 / 60);
}

/**
 * The SPEC C memory bar measured rather than projected: the speed layer's RSS over a long run at
 * the average rate (≤ 1 GB throughout, and flat), with the freshness it kept meanwhile.
 */
export function soakFigures(run: E2eResult): Figure[] {
  const minutes = Math.round(run.durationSeconds / 60);
  const conditions = `${minutes} min at ${run.targetRate.toLocaleString('en-US')} clicks/s asked, ${run.ads.toLocaleString('en-US')} ads`;
  return [
    judge(
      'soak',
      'speed-layer peak RSS over the soak',
      run.rss.peakMb,
      'MB',
      '<=',
      TARGETS.rssMb,
      conditions,
    ),
    judge(
      'soak',
      'speed-layer RSS growth over the second half of the soak',
      Math.round(secondHalfGrowthMb(run)),
      'MB',
      '<=',
      Math.round(TARGETS.rssMb * FLAT_SHARE),
      `slope ${run.rss.slopeMbPerMinute} MB/min; flat means at most ${FLAT_SHARE * 100}% of the bound`,
    ),
    judge(
      'soak',
      'freshness p99 over the soak (produced → visible in the API)',
      run.freshness.p99Ms,
      'ms',
      '<=',
      TARGETS.freshnessP99Ms,
      `${run.freshness.probes} probes, ${run.freshness.missing} never visible`,
    ),
    reported(
      'soak',
      'speed layer consumed over the soak',
      run.sustainedPerSecond,
      'clicks/s',
      `generator put ${run.producedPerSecond.toLocaleString('en-US')} records/s on the topic`,
    ),
  ];
}
