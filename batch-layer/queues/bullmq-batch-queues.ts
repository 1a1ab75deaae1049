import { hostname } from 'node:os';
import { type ConnectionOptions, type Job, Queue, Worker } from 'bullmq';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { Logger } from '../../shared/logger/logger.ts';
import {
  type DayJobData,
  JOB,
  QUEUE_NAMES,
  type QueueName,
  type QueueStatus,
  type RecomputeJobData,
  recomputeJobId,
  replayJobId,
} from '../jobs/types.ts';

export interface BullMqBatchQueuesOptions {
  /** Redis URL (`redis://host:port/db`). */
  redisUrl: string;
  /** Prefix of every BullMQ key (config `redis.queuePrefix`, plus a test's own name). */
  prefix: string;
  /** Attempts per job before it is kept as failed (default 5), with exponential backoff from `backoffMs` (default 5 s). */
  attempts?: number;
  backoffMs?: number;
  logger: Logger;
}

/** What each queue's worker does with a job; results are stored on the job. */
export interface BatchProcessors {
  scan(): Promise<unknown>;
  recompute(hour: number, queue: QueueName): Promise<unknown>;
  day(data: DayJobData, scheduledAt: number): Promise<unknown>;
}

export interface WorkerOptions {
  /** Concurrent jobs per queue in this process (default hourly 1, nightly 1, replay 1). */
  concurrency?: Partial<Record<QueueName, number>>;
  /** A job whose worker stops renewing its lock for this long is retried elsewhere (default 30 s). */
  lockDurationMs?: number;
  /** Name of this worker, kept on each job it takes as `processedBy` (default `<host>:<pid>`). */
  name?: string;
  /** Which queues this process serves (default all). */
  queues?: readonly QueueName[];
  onCompleted?: (queue: QueueName, job: { name: string; durationMs: number; result: unknown }) => void;
  onFailed?: (queue: QueueName, job: { name: string; id: string; error: string; final: boolean }) => void;
}

/**
 * The batch layer's BullMQ adapter: queues `hourly`, `nightly` and `replay`, their repeatable
 * schedules, deterministic job ids, retries with backoff, failed jobs kept for inspection, and
 * workers (any number of processes may run them against the same Redis).
 */
export class BullMqBatchQueues {
  private readonly connection: ConnectionOptions;
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];

  constructor(private readonly options: BullMqBatchQueuesOptions) {
    const url = new URL(options.redisUrl);
    this.connection = {
      host: url.hostname,
      port: Number(url.port || 6379),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
      maxRetriesPerRequest: null,
    };
  }

  queue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, {
        connection: this.connection,
        prefix: this.options.prefix,
        defaultJobOptions: {
          attempts: this.options.attempts ?? 5,
          backoff: { type: 'exponential', delay: this.options.backoffMs ?? 5_000 },
          removeOnComplete: { age: 7 * 86_400, count: 5_000 },
          removeOnFail: false,
        },
      });
      queue.on('error', (error) =>
        this.options.logger.warn({ queue: name, err: error.message }, 'queue error'),
      );
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Creates or updates the repeatable schedules (cron, UTC). */
  async schedule(crons: { hourly: string; nightly: string }): Promise<void> {
    await this.call('scheduling', async () => {
      await this.queue('hourly').upsertJobScheduler(
        'hourly-scan',
        { pattern: crons.hourly, tz: 'UTC' },
        { name: JOB.scan },
      );
      await this.queue('nightly').upsertJobScheduler(
        'nightly-day',
        { pattern: crons.nightly, tz: 'UTC' },
        { name: JOB.day },
      );
    });
  }

  async enqueueRecompute(hour: number, generation: number): Promise<void> {
    const data: RecomputeJobData = { hour };
    await this.call('enqueueing a recompute', () =>
      this.queue('hourly').add(JOB.recompute, data, { jobId: recomputeJobId(hour, generation) }),
    );
  }

  /** Enqueues one replay job per hour; returns their ids. */
  async enqueueReplay(hours: readonly number[], runId: string): Promise<string[]> {
    const queue = this.queue('replay');
    const jobs = hours.map((hour) => ({
      name: JOB.recompute,
      data: { hour } satisfies RecomputeJobData,
      opts: { jobId: replayJobId(hour, runId) },
    }));
    await this.call('enqueueing a replay', () => queue.addBulk(jobs));
    return jobs.map((j) => j.opts.jobId);
  }

  async enqueueDay(date: string): Promise<string> {
    const jobId = `day-${date}`;
    await this.call('enqueueing a day', () =>
      this.queue('nightly').add(JOB.day, { date } satisfies DayJobData, { jobId }),
    );
    return jobId;
  }

  /** State and result of jobs by id (for replay progress). */
  async jobStates(
    queue: QueueName,
    ids: readonly string[],
  ): Promise<
    Array<{
      id: string;
      state: string;
      result: unknown;
      reason?: string;
      processedBy?: string;
      attempts?: number;
    }>
  > {
    const q = this.queue(queue);
    return this.call('reading jobs', () =>
      Promise.all(
        ids.map(async (id) => {
          // State before the job's fields: a job seen completed already has its return value,
          // whereas fields read first may predate a completion that the state then reports.
          const state = await q.getJobState(id);
          const job = await q.getJob(id);
          if (job === undefined || state === 'unknown') return { id, state: 'missing', result: undefined };
          return {
            id,
            state,
            result: job.returnvalue,
            reason: job.failedReason,
            ...(job.processedBy === undefined ? {} : { processedBy: job.processedBy }),
            attempts: job.attemptsStarted,
          };
        }),
      ),
    );
  }

  async status(failedLimit = 20): Promise<QueueStatus[]> {
    return this.call('reading queue status', () =>
      Promise.all(
        QUEUE_NAMES.map(async (name) => {
          const q = this.queue(name);
          const counts = (await q.getJobCounts(
            'waiting',
            'active',
            'delayed',
            'completed',
            'failed',
            'prioritized',
          )) as QueueStatus['counts'];
          const failed = (await q.getFailed(0, failedLimit - 1)).map((j: Job) => ({
            id: String(j.id),
            name: j.name,
            data: j.data as unknown,
            reason: j.failedReason,
            attempts: j.attemptsMade,
            ...(j.finishedOn === undefined ? {} : { finishedOn: j.finishedOn }),
          }));
          const schedules = (await q.getJobSchedulers()).map((s) => ({
            id: s.key,
            ...(s.pattern ? { pattern: s.pattern } : {}),
            ...(s.next === undefined ? {} : { next: s.next }),
          }));
          return { queue: name, counts, failed, schedules };
        }),
      ),
    );
  }

  /** Moves every failed job of a queue back to waiting; returns how many. */
  async retryFailed(queue: QueueName): Promise<number> {
    return this.call('retrying failed jobs', async () => {
      const failed = await this.queue(queue).getFailed(0, -1);
      for (const job of failed) await job.retry('failed');
      return failed.length;
    });
  }

  /** Starts workers for the queues this process serves. */
  startWorkers(processors: BatchProcessors, options: WorkerOptions = {}): void {
    for (const name of options.queues ?? QUEUE_NAMES) {
      const worker = new Worker(
        name,
        async (job: Job) => {
          if (job.name === JOB.scan) return processors.scan();
          if (job.name === JOB.recompute)
            return processors.recompute((job.data as RecomputeJobData).hour, name);
          if (job.name === JOB.day) return processors.day(job.data as DayJobData, job.timestamp);
          throw new AdclickError(ErrorCodes.INTERNAL, `unknown job ${job.name} on queue ${name}`);
        },
        {
          connection: this.connection,
          prefix: this.options.prefix,
          name: options.name ?? `${hostname()}:${process.pid}`,
          concurrency: options.concurrency?.[name] ?? 1,
          lockDuration: options.lockDurationMs ?? 30_000,
          stalledInterval: options.lockDurationMs ?? 30_000,
          maxStalledCount: 3,
        },
      );
      worker.on('completed', (job, result) => {
        const durationMs = (job.finishedOn ?? Date.now()) - (job.processedOn ?? job.timestamp);
        options.onCompleted?.(name, { name: job.name, durationMs, result });
      });
      worker.on('failed', (job, error) => {
        if (job === undefined) return;
        const final = job.attemptsMade >= (job.opts.attempts ?? 1);
        this.options.logger.warn({ queue: name, job: job.id, err: error.message, final }, 'batch job failed');
        options.onFailed?.(name, { name: job.name, id: String(job.id), error: error.message, final });
      });
      worker.on('error', (error) =>
        this.options.logger.warn({ queue: name, err: error.message }, 'worker error'),
      );
      this.workers.push(worker);
    }
  }

  async isReady(): Promise<boolean> {
    try {
      await this.queue('hourly').getJobCounts('waiting');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    this.workers.length = 0;
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }

  /** Removes every key of these queues (tests). */
  async obliterate(): Promise<void> {
    for (const name of QUEUE_NAMES) await this.queue(name).obliterate({ force: true });
  }

  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof AdclickError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new AdclickError(ErrorCodes.UNAVAILABLE, `BullMQ/Redis failed ${doing}: ${message}`, {
        cause: error,
        retryable: true,
      });
    }
  }
}
