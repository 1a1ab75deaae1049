import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hourOf } from '../../shared/aggregation/time.ts';
import { sleep } from '../../shared/async/wait-for.ts';
import { parseClick } from '../../shared/click-event/click-event.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { Lifecycle } from '../../shared/lifecycle/types.ts';
import type { Logger } from '../../shared/logger/logger.ts';
import type { ObjectStore } from '../../shared/object-store/types.ts';
import type { LakeLayout } from '../lake/lake-layout.ts';
import type { RawClickRow, RejectedRow } from '../lake/types.ts';
import type { HourLedger } from '../ledger/types.ts';
import type { ParquetWriter } from '../parquet/types.ts';
import { type ArchiverOptions, type ResolvedArchiverOptions, resolveArchiverOptions } from './options.ts';
import type { ArchiveMessage, ArchiverStats, ArchiveSource } from './types.ts';

export interface ArchiverDeps {
  source: ArchiveSource;
  objects: ObjectStore;
  layout: LakeLayout;
  ledger: HourLedger;
  writer: ParquetWriter;
  logger: Logger;
  /** Called after each flush (metrics). */
  onFlush?: (flush: {
    partition: number;
    valid: number;
    rejected: number;
    objects: number;
    ms: number;
  }) => void;
}

interface PartitionBuffer {
  messages: ArchiveMessage[];
  since: number;
  /** Serialises appends and flushes of one partition. */
  chain: Promise<void>;
}

/**
 * Kafka → Parquet → S3. Every message lands in the lake, valid ones under `raw/` by event hour and
 * invalid ones under `rejected/` with their reason. A partition's buffer rolls by size or age; its
 * objects are named by partition and offset range and its offset is committed only after every
 * upload of the roll succeeded. A crash therefore loses nothing: uncommitted messages are read
 * again, and any row archived twice is removed by the batch layer's dedup.
 */
export class Archiver implements Lifecycle {
  readonly stats: ArchiverStats = { messages: 0, valid: 0, rejected: 0, objects: 0, flushes: 0 };
  private readonly options: ResolvedArchiverOptions;
  private readonly buffers = new Map<number, PartitionBuffer>();
  private timer: NodeJS.Timeout | undefined;
  private epoch = 0;
  private started = false;
  private closing = false;

  constructor(
    private readonly deps: ArchiverDeps,
    options: ArchiverOptions,
  ) {
    this.options = resolveArchiverOptions(options);
  }

  async start(): Promise<void> {
    await mkdir(this.options.stagingDir, { recursive: true });
    await this.deps.source.start({
      onMessages: (partition, messages) => this.onMessages(partition, messages),
      onRebalance: () => this.onRebalance(),
    });
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
    this.started = true;
  }

  isReady(): boolean {
    return this.started && !this.closing && this.deps.source.isReady();
  }

  /** Flushes what is buffered (so a clean stop commits everything), then stops consuming. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await Promise.all([...this.buffers.keys()].map((p) => this.enqueue(p, () => this.flush(p))));
    await this.deps.source.close();
    await this.deps.writer.close();
  }

  private onMessages(partition: number, messages: readonly ArchiveMessage[]): Promise<void> {
    return this.enqueue(partition, async () => {
      const buffer = this.buffer(partition);
      if (buffer.messages.length === 0) buffer.since = Date.now();
      for (const m of messages) buffer.messages.push(m);
      this.stats.messages += messages.length;
      // Waiting here (with retries) is the backpressure: the partition is not read further until
      // its full buffer is safely in the lake.
      if (buffer.messages.length >= this.options.maxRows) await this.flushWithRetry(partition);
    });
  }

  private onRebalance(): void {
    // Uncommitted messages will be delivered again to whoever owns the partition now.
    this.epoch++;
    for (const buffer of this.buffers.values()) buffer.messages = [];
    this.deps.logger.info({ epoch: this.epoch }, 'partitions reassigned; uncommitted buffers dropped');
  }

  private tick(): void {
    const now = Date.now();
    for (const [partition, buffer] of this.buffers) {
      if (buffer.messages.length > 0 && now - buffer.since >= this.options.maxAgeMs) {
        void this.enqueue(partition, () => this.flush(partition)).catch((error: unknown) => {
          this.deps.logger.warn(
            { partition, err: (error as Error).message },
            'archive flush failed; will retry',
          );
        });
      }
    }
  }

  private async flushWithRetry(partition: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.flush(partition);
        return;
      } catch (error) {
        if (this.closing) throw error;
        const waitMs = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
        this.deps.logger.warn(
          { partition, attempt, waitMs, err: (error as Error).message },
          'archive flush failed',
        );
        await sleep(waitMs);
      }
    }
  }

  /** Writes, uploads and commits one partition's buffer. Runs inside the partition's chain. */
  private async flush(partition: number): Promise<void> {
    const buffer = this.buffers.get(partition);
    if (buffer === undefined || buffer.messages.length === 0) return;
    const epoch = this.epoch;
    const started = Date.now();
    const messages = buffer.messages;
    const { valid, rejected } = split(messages);
    const objects =
      (await this.writeGroups(partition, 'raw', valid, (r) => r.timestampMs)) +
      (await this.writeGroups(partition, 'rejected', rejected, (r) => r.kafkaTimestampMs));
    const hours = [...new Set(valid.map((r) => hourOf(r.timestampMs)))];
    if (hours.length > 0) await this.deps.ledger.markWritten(hours);
    if (epoch !== this.epoch) return;
    const last = messages[messages.length - 1]!.offset;
    await this.deps.source.commit(partition, last + 1n);
    // Only now is the buffer's content safe; messages appended meanwhile stay buffered.
    buffer.messages = buffer.messages.slice(messages.length);
    buffer.since = Date.now();
    this.stats.valid += valid.length;
    this.stats.rejected += rejected.length;
    this.stats.objects += objects;
    this.stats.flushes++;
    const ms = Date.now() - started;
    this.deps.onFlush?.({ partition, valid: valid.length, rejected: rejected.length, objects, ms });
    this.deps.logger.debug(
      { partition, valid: valid.length, rejected: rejected.length, objects, ms },
      'archived',
    );
  }

  private async writeGroups<R extends RawClickRow | RejectedRow>(
    partition: number,
    kind: 'raw' | 'rejected',
    rows: R[],
    timeOf: (row: R) => number,
  ): Promise<number> {
    const groups = new Map<number, R[]>();
    for (const row of rows) {
      const hour = hourOf(timeOf(row));
      const group = groups.get(hour);
      if (group === undefined) groups.set(hour, [row]);
      else group.push(row);
    }
    for (const [hour, group] of groups) {
      const first = group[0]!.kafkaOffset;
      const last = group[group.length - 1]!.kafkaOffset;
      const { layout, objects, writer } = this.deps;
      const key =
        kind === 'raw'
          ? layout.rawObjectKey(hour, partition, first, last)
          : layout.rejectedObjectKey(hour, partition, first, last);
      const file = join(this.options.stagingDir, key.replaceAll('/', '_'));
      try {
        if (kind === 'raw') await writer.writeRaw(group as RawClickRow[], file);
        else await writer.writeRejected(group as RejectedRow[], file);
        await objects.putFile(key, file, 'application/vnd.apache.parquet');
      } finally {
        await rm(file, { force: true });
      }
    }
    return groups.size;
  }

  private buffer(partition: number): PartitionBuffer {
    let buffer = this.buffers.get(partition);
    if (buffer === undefined) {
      buffer = { messages: [], since: Date.now(), chain: Promise.resolve() };
      this.buffers.set(partition, buffer);
    }
    return buffer;
  }

  private enqueue(partition: number, work: () => Promise<void>): Promise<void> {
    const buffer = this.buffer(partition);
    const run = buffer.chain.then(work);
    buffer.chain = run.catch(() => undefined);
    return run;
  }
}

/** Validates each message (SPEC A1); every one becomes a raw row or a rejected row. */
export function split(messages: readonly ArchiveMessage[]): {
  valid: RawClickRow[];
  rejected: RejectedRow[];
} {
  const valid: RawClickRow[] = [];
  const rejected: RejectedRow[] = [];
  for (const m of messages) {
    const base = { kafkaPartition: m.partition, kafkaOffset: m.offset };
    if (m.value === null) {
      rejected.push({
        ...base,
        kafkaTimestampMs: m.timestampMs,
        key: m.key,
        reason: 'message has no value',
        raw: new Uint8Array(),
      });
      continue;
    }
    const parsed = parseClick(m.value);
    if (parsed.ok) valid.push({ ...parsed.event, ...base });
    else {
      const field = parsed.rejection.field === null ? '' : `${parsed.rejection.field}: `;
      rejected.push({
        ...base,
        kafkaTimestampMs: m.timestampMs,
        key: m.key,
        reason: `${field}${parsed.rejection.reason}`,
        raw: m.value,
      });
    }
  }
  return { valid, rejected };
}

/** Thrown by sources used before `start()`. */
export function notStarted(what: string): AdclickError {
  return new AdclickError(ErrorCodes.NOT_STARTED, `${what} used before start()`);
}
