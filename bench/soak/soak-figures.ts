import { loadConfig } from '../../shared/config/config.ts';
import { speedOptionsFrom } from '../../speed-layer/options.ts';
import { slope } from '../e2e/stats.ts';
import { judge, reported, TARGETS } from '../report/judge.ts';
import type { E2eResult, Figure } from '../report/types.ts';

/**
 * "Flat" in figures: what an hour adds once the speed layer's state is full, at most this share
 * of the RSS bound (5% of 1 GB ≈ 51 MB an hour).
 */
export const FLAT_SHARE = 0.05;
/** The state's retention when a report does not say: the speed layer's default. */
const DEFAULT_RETAIN_MINUTES = speedOptionsFrom(loadConfig({})).retainMinutes;
/** Minutes after the retention is reached before the trend is taken: the last minutes still freeze. */
const SETTLE_MINUTES = 2;
/** The shortest stretch of full state whose trend is judged. */
export const MIN_STEADY_MINUTES = 10;

/** The RSS trend once the state is full: from when, over how long, and in MB per hour. */
export interface SteadyTrend {
  fromMinute: number;
  minutes: number;
  mbPerHour: number;
}

/**
 * The least-squares RSS trend from the moment the speed layer retains every minute its windows
 * need (it grows until then by design: each minute adds its cells) to the end of the traffic;
 * null when that stretch is shorter than `MIN_STEADY_MINUTES`.
 */
export function steadyTrend(run: E2eResult): SteadyTrend | null {
  const fromMinute = (run.retainMinutes ?? DEFAULT_RETAIN_MINUTES) + SETTLE_MINUTES;
  const minutes = run.durationSeconds / 60 - fromMinute;
  const points = run.rss.samples
    .filter((s) => s.t >= fromMinute * 60 && s.t <= run.durationSeconds)
    .map((s) => ({ x: s.t / 60, y: s.rssMb }));
  if (minutes < MIN_STEADY_MINUTES || points.length < 2) return null;
  return { fromMinute, minutes: Math.round(minutes), mbPerHour: slope(points) * 60 };
}

/** MB the speed layer's RSS grew over the second half of the run (least-squares trend). */
export function secondHalfGrowthMb(run: E2eResult): number {
  return Math.max(0, run.rss.slopeMbPerMinute) * (run.durationSeconds / 2 / 60);
}

/**
 * The SPEC C memory bar measured rather than projected: the speed layer's RSS over a long run at
 * the average rate (≤ 1 GB throughout, and flat once its state is full), with the freshness it
 * kept meanwhile.
 */
export function soakFigures(run: E2eResult): Figure[] {
  const minutes = Math.round(run.durationSeconds / 60);
  const conditions = `${minutes} min at ${run.targetRate.toLocaleString('en-US')} clicks/s asked, ${run.ads.toLocaleString('en-US')} ads`;
  const trend = steadyTrend(run);
  const retain = run.retainMinutes ?? DEFAULT_RETAIN_MINUTES;
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
    trend === null
      ? reported(
          'soak',
          'speed-layer RSS growth over the second half of the soak (state still filling)',
          Math.round(secondHalfGrowthMb(run)),
          'MB',
          `slope ${run.rss.slopeMbPerMinute} MB/min; the state fills for ${retain} min, so flatness is judged by runs of at least ${retain + SETTLE_MINUTES + MIN_STEADY_MINUTES} min`,
        )
      : judge(
          'soak',
          'speed-layer RSS growth per hour once its state is full',
          Math.round(Math.max(0, trend.mbPerHour)),
          'MB',
          '<=',
          Math.round(TARGETS.rssMb * FLAT_SHARE),
          `trend of minutes ${trend.fromMinute}–${trend.fromMinute + trend.minutes}; flat means at most ${FLAT_SHARE * 100}% of the bound an hour`,
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
