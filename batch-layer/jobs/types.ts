/** The batch layer's queues (SPEC B): each has its own workers, so replay never slows the others. */
export const QUEUE_NAMES = ['hourly', 'nightly', 'replay'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Job names inside the queues. */
export const JOB = {
  /** `hourly`: repeatable; finds closed dirty hours and enqueues their recompute. */
  scan: 'scan',
  /** `hourly` and `replay`: recompute one hour. */
  recompute: 'recompute',
  /** `nightly`: repeatable; recompute the previous UTC day and reconcile it. */
  day: 'day',
} as const;

export interface RecomputeJobData {
  /** Hour start, epoch ms. */
  hour: number;
}

export interface DayJobData {
  /** `YYYY-MM-DD`; when absent, the UTC day before the job's scheduled time. */
  date?: string;
}

/** One queue's counts for `adclick batch status` and the queue-depth metric. */
export interface QueueStatus {
  queue: QueueName;
  counts: Record<'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'prioritized', number>;
  failed: Array<{
    id: string;
    name: string;
    data: unknown;
    reason: string;
    attempts: number;
    finishedOn?: number;
  }>;
  schedules: Array<{ id: string; pattern?: string; next?: number }>;
}

/** Job id of one hour's recompute: hour plus lake generation, so a job never runs twice for one state. */
export function recomputeJobId(hour: number, generation: number): string {
  return `hour-${new Date(hour).toISOString().slice(0, 13)}-g${generation}`;
}

export function replayJobId(hour: number, runId: string): string {
  return `replay-${new Date(hour).toISOString().slice(0, 13)}-${runId}`;
}
