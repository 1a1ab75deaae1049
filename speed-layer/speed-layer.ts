import { getHeapStatistics } from 'node:v8';
import { Hono } from 'hono';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { SpeedViewStore } from '../shared/aggregate-store/types.ts';
import type { ClickPublisher } from '../shared/click-publisher/types.ts';
import { ensureTopics, translateKafkaError } from '../shared/kafka/kafka.ts';
import type { Lifecycle } from '../shared/lifecycle/types.ts';
import type { Logger } from '../shared/logger/logger.ts';
import type { SnapshotStore } from './aggregate/cassandra-snapshot-store.ts';
import { PartitionSnapshots } from './aggregate/partition-snapshots.ts';
import { type FlushPlan, PartitionStates } from './aggregate/partition-states.ts';
import { type ConsumeContext, consumeRecords } from './consumer/consume-records.ts';
import { BackpressureGate } from './flush/backpressure.ts';
import { FlushPipeline, type MergedCells } from './flush/flush-pipeline.ts';
import { type Listening, listen } from './http/listen.ts';
import { SpeedMetrics } from './metrics/speed-metrics.ts';
import { aggregateOptionsOf, type SpeedLayerOptions, validateSpeedOptions } from './options.ts';
import type { GlobalTopLists } from './reduce/types.ts';

/** Longest wait of a fetch (see the consumer's settings in `start`). */
const FETCH_MAX_WAIT_MS = 200;

/** Records consumed between two backpressure checks within a batch. */
const CHUNK_RECORDS = 500;

export interface SpeedLayerDeps {
  kafka: Kafka;
  store: SpeedViewStore;
  snapshots: SnapshotStore;
  /**
   * Global step of the reduce node across every process of the group (`CassandraGlobalTopLists`).
   * Without it, top lists are ranked over this process's partitions only: exact only while one
   * process holds every partition.
   */
  topLists?: GlobalTopLists;
  /** Producer of dead letters and re-keyed clicks (acks=all). */
  dlq: ClickPublisher;
  logger: Logger;
  metrics?: SpeedMetrics;
}

/**
 * The speed layer process: a Kafka consumer group whose records go through the map node
 * (validate, dead-letter), the aggregate node (per-partition minute windows by event time) and
 * the reduce node (sliding-window top-N). Every flush interval it plans a round of changed cells
 * (and, less often, top lists and snapshots) and hands it to the `FlushPipeline`: cells are
 * written first and on their own, top lists and closed minutes after them, and a snapshot (state +
 * next offset) only once every cell and list of the input it describes is written; Kafka offsets
 * are committed for information only. On assignment a partition resumes from its snapshot, so
 * after a crash at any point the replay rewrites the same rows.
 */
export class SpeedLayer implements Lifecycle {
  readonly metrics: SpeedMetrics;
  readonly #deps: SpeedLayerDeps;
  readonly #o: SpeedLayerOptions;
  readonly #log: Logger;
  readonly #states: PartitionStates;
  readonly #partitions: PartitionSnapshots;
  readonly #consumeContext: ConsumeContext;
  readonly #pipeline: FlushPipeline;
  readonly #gate: BackpressureGate;
  #partitionCount = 0;
  #consumer: Consumer | undefined;
  #admin: Admin | undefined;
  #metricsServer: Listening | undefined;
  #running = false;
  /** A flush interval has elapsed since the last round was planned. */
  #planDue = false;
  #timer: NodeJS.Timeout | undefined;
  #lastSnapshotMs = 0;
  #lastListsMs = 0;

  constructor(options: SpeedLayerOptions, deps: SpeedLayerDeps) {
    validateSpeedOptions(options);
    this.#o = options;
    this.#deps = deps;
    this.metrics = deps.metrics ?? new SpeedMetrics();
    this.#log = deps.logger.child({ component: 'speed-layer', group: options.groupId });
    this.#states = new PartitionStates(aggregateOptionsOf(options));
    this.#partitions = new PartitionSnapshots({
      topic: options.topic,
      groupId: options.groupId,
      states: this.#states,
      snapshots: deps.snapshots,
      admin: () => this.#admin!,
      metrics: this.metrics,
      logger: this.#log,
    });
    this.#consumeContext = {
      topic: options.topic,
      dlqTopic: options.dlqTopic,
      partitionCount: () => this.#partitionCount,
      rekey: options.rekey,
      dlq: deps.dlq,
      metrics: this.metrics,
      logger: this.#log,
    };
    this.#gate = new BackpressureGate({
      maxPendingRows: options.maxPendingRows,
      maxHeapBytes: options.maxHeapMb * 1024 * 1024,
    });
    this.#pipeline = new FlushPipeline({
      takeDue: () => {
        if (this.#planDue && this.#running) this.#takeRound(false);
      },
      writeCells: (cells) => this.#writeCells(cells),
      writeLists: (plan) => this.#writeLists(plan),
      snapshotsDue: (through) => this.#partitions.due(through),
      saveSnapshots: (through) => this.#saveSnapshots(through),
      failed: (stage, error) => {
        this.metrics.flushFailures.inc();
        this.#log.warn({ err: String(error), stage }, 'flush failed; will retry');
      },
    });
  }

  /** Port of `/metrics` (after `start()`), when served. */
  get metricsPort(): number | undefined {
    return this.#metricsServer?.port;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    const { kafka } = this.#deps;
    if (this.#o.metrics !== undefined) {
      const app = new Hono();
      app.get('/metrics', async (c) =>
        c.text(await this.metrics.registry.metrics(), 200, {
          'content-type': this.metrics.registry.contentType,
        }),
      );
      app.get('/healthz', (c) => c.json({ ok: true }));
      this.#metricsServer = await listen(app, this.#o.metrics.host, this.#o.metrics.port);
    }
    this.#admin = kafka.admin();
    try {
      await this.#admin.connect();
      const meta = await this.#admin.fetchTopicMetadata({ topics: [this.#o.topic] });
      this.#partitionCount = meta.topics[0]?.partitions.length ?? 0;
      await ensureTopics(this.#admin, [
        { topic: this.#o.dlqTopic, numPartitions: Math.max(1, this.#partitionCount) },
      ]);
    } catch (error) {
      throw translateKafkaError(error, `reading metadata of ${this.#o.topic}`);
    }
    const consumer = kafka.consumer({
      groupId: this.#o.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.#o.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(this.#o.sessionTimeoutMs / 10)),
      // The broker answers as soon as a record is there (minBytes 1), so this only bounds how long
      // an idle fetch waits; kafkajs also sleeps this long when every partition is paused, which
      // would delay a backpressure resume by its 5 s default.
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assigned = new Set(event.payload.memberAssignment[this.#o.topic] ?? []);
      this.#log.info({ partitions: [...assigned] }, 'partitions assigned');
      this.#partitions.assign(assigned);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.#o.topic], fromBeginning: true });
      this.#running = true;
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.#onBatch(payload),
      });
    } catch (error) {
      this.#running = false;
      throw translateKafkaError(error, `consuming ${this.#o.topic}`);
    }
    this.#scheduleFlush();
    this.#log.info({ topic: this.#o.topic, partitions: this.#partitionCount }, 'speed layer started');
  }

  async close(): Promise<void> {
    if (!this.#running) {
      await this.#metricsServer?.close();
      this.#metricsServer = undefined;
      return;
    }
    this.#running = false;
    clearInterval(this.#timer);
    await this.#consumer?.disconnect().catch(() => undefined);
    await this.#pipeline.settled();
    await this.flush().catch((error: unknown) =>
      this.#log.warn({ err: String(error) }, 'final flush failed'),
    );
    await this.#admin?.disconnect().catch(() => undefined);
    await this.#metricsServer?.close();
    this.#metricsServer = undefined;
  }

  isReady(): boolean {
    return this.#running;
  }

  /** Whether fetching is stopped by backpressure, and how often it was since start. */
  backpressure(): { paused: boolean; pauses: number } {
    return { paused: this.#gate.paused, pauses: this.#gate.pauses };
  }

  /**
   * Stops or restarts fetching as the write backlog and heap cross their bounds. `pause` rather
   * than holding `eachBatch`: a paused kafkajs consumer keeps its fetch loop (it just leaves the
   * topic out of its fetch requests), so heartbeats go on and a rebalance can still complete,
   * whereas a batch handler blocked for longer than the session timeout gets the member evicted
   * and blocks the group's rebalance. Records fetched before the pause are not processed (their
   * offsets are not resolved), so the fetch after `resume` starts again from them.
   */
  #checkBackpressure(): void {
    const pendingRows = this.#pipeline.pendingRows() + this.#states.changedCells();
    this.metrics.pendingRows.set(pendingRows);
    // External memory too: the click id tables of open minutes are typed arrays outside the heap.
    const heap = getHeapStatistics();
    const heapBytes = heap.used_heap_size + heap.external_memory;
    const change = this.#gate.update({ pendingRows, heapBytes });
    if (change === undefined || this.#consumer === undefined) return;
    const heapMb = Math.round(heapBytes / 1024 / 1024);
    if (change === 'pause') {
      this.#consumer.pause([{ topic: this.#o.topic }]);
      this.metrics.backpressurePauses.inc();
      this.#log.info({ pendingRows, heapMb }, 'writes behind: fetching paused');
    } else {
      this.#consumer.resume([{ topic: this.#o.topic }]);
      this.#states.touchAll();
      this.#log.info({ pendingRows, heapMb }, 'writes caught up: fetching resumed');
    }
    this.metrics.backpressurePaused.set(this.#gate.paused ? 1 : 0);
  }

  /** Next offset of each partition as of its last saved snapshot (what a restart resumes from). */
  savedOffsets(): ReadonlyMap<number, string> {
    return this.#partitions.saved;
  }

  /**
   * Writes everything changed so far: cells, then top lists and closed minutes, then the
   * snapshots of the partitions that moved, then (informational) Kafka offsets. A failed write
   * stays queued and is retried in order by the next flush (see `FlushPipeline`).
   */
  flush(): Promise<void> {
    return this.#pipeline.drain(this.#takeRound(true));
  }

  /**
   * Plans one flush round and queues it; returns its number.
   * @param force rank top lists and take snapshots even if their intervals have not elapsed
   */
  #takeRound(force: boolean): number {
    this.#planDue = false;
    // Plan and snapshots are taken together, synchronously: both describe the same input prefix.
    const now = Date.now();
    // Lists still queued from an earlier ranking: ranking again now would only wait behind them.
    const listsNow =
      force || (now - this.#lastListsMs >= this.#o.topListIntervalMs && !this.#pipeline.hasRankedPending());
    if (listsNow) this.#lastListsMs = now;
    const planStart = performance.now();
    const plan = this.#states.plan(now, {
      perPartition: this.#deps.topLists !== undefined,
      deferTopLists: !listsNow,
      // Paused by backpressure, no partition is idle: records wait for us in Kafka.
      idle: !this.#gate.paused,
    });
    const seq = this.#pipeline.push(plan);
    this.metrics.planSeconds.observe((performance.now() - planStart) / 1000);
    // Without a snapshot now, the partitions stay dirty for the next round that takes one. Only
    // where top lists were ranked: a deferred plan's changes still owe their lists.
    const snapshotNow =
      listsNow &&
      (force ||
        (now - this.#lastSnapshotMs >= this.#o.snapshotIntervalMs && this.#partitions.pendingCount === 0));
    if (snapshotNow) {
      this.#lastSnapshotMs = now;
      this.#partitions.take(seq);
    }
    for (const p of this.#states.partitions()) {
      const state = this.#states.get(p);
      const wm = state.watermarkMs;
      if (Number.isFinite(wm)) this.metrics.watermarkDelay.set({ partition: String(p) }, (now - wm) / 1000);
      this.metrics.adIds.set({ partition: String(p) }, state.adIds.size);
    }
    return seq;
  }

  async #writeCells(cells: MergedCells): Promise<void> {
    const started = performance.now();
    await this.#deps.store.upsertCells(cells);
    this.metrics.flushSeconds.observe((performance.now() - started) / 1000);
    this.metrics.cellsWritten.inc(cells.changed.length + cells.closed.length);
    // After the pipeline has dropped these cells (it does so once this write resolves).
    setImmediate(() => this.#checkBackpressure());
  }

  async #writeLists(plan: FlushPlan): Promise<void> {
    const started = performance.now();
    if (this.#deps.topLists !== undefined) await this.#deps.topLists.publish(plan.partitionTopLists);
    else await this.#deps.store.upsertTopLists(plan.topLists);
    // Closure last: every cell of a closed minute already holds its final value.
    await this.#deps.store.markMinutesClosed(plan.closed);
    this.metrics.listsSeconds.observe((performance.now() - started) / 1000);
    this.metrics.minutesClosed.inc(plan.closed.length);
    setImmediate(() => this.#checkBackpressure());
  }

  /** Saves the snapshots taken at rounds ≤ `through`, then commits their offsets to Kafka. */
  async #saveSnapshots(through: number): Promise<void> {
    const saved = await this.#partitions.save(through);
    if (saved.length === 0) return;
    await this.#consumer
      ?.commitOffsets(saved.map((s) => ({ topic: this.#o.topic, partition: s.partition, offset: s.offset })))
      .catch((error: unknown) =>
        this.#log.debug({ err: String(error) }, 'informational offset commit failed'),
      );
  }

  /**
   * A round every flush interval, on a fixed cadence: a round is planned when the changed stage is
   * free (at once if it is idle), so a click waits for at most one interval plus the cell write in
   * progress, never for top lists or snapshots.
   */
  #scheduleFlush(): void {
    if (!this.#running) return;
    this.#timer = setInterval(() => {
      this.#planDue = true;
      this.#pipeline.kick();
      this.#checkBackpressure();
    }, this.#o.flushIntervalMs);
  }

  async #onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    await this.#partitions.ensureLoaded(partition);
    // Fetched before the pause took effect: left unresolved, so it is fetched again on resume.
    if (!isRunning() || isStale() || batch.isEmpty() || this.#gate.paused) return;
    const state = this.#states.get(partition);
    if (this.#partitions.takeUnchecked(partition)) {
      // Kafka's committed offset may be ahead of the snapshot (or missing): go back to the snapshot's.
      if (BigInt(batch.firstOffset() ?? '0') > BigInt(state.nextOffset)) {
        this.#consumer!.seek({ topic: this.#o.topic, partition, offset: state.nextOffset });
        return;
      }
    }
    let consumed = false;
    // In chunks, so backpressure can stop within a large batch (up to 1 MB of records per
    // partition): the rest stays unresolved and is fetched again after `resume`.
    for (let i = 0; i < batch.messages.length; i += CHUNK_RECORDS) {
      if (!isRunning() || isStale()) return;
      const last = await consumeRecords(
        this.#consumeContext,
        state,
        batch,
        batch.messages.slice(i, i + CHUNK_RECORDS),
        isRunning,
      );
      if (last !== undefined) this.#partitions.moved(partition);
      if (last !== undefined) {
        consumed = true;
        resolveOffset(last);
        // Records of this partition still waiting in Kafka behind this one.
        const lag = BigInt(batch.highWatermark) - BigInt(last) - 1n;
        state.setLagging(lag > 0n);
        this.metrics.consumerLag.set({ partition: String(partition) }, Number(lag > 0n ? lag : 0n));
      }
      this.#checkBackpressure();
      await heartbeat();
      if (this.#gate.paused) return;
    }
    if (!consumed) resolveOffset(batch.lastOffset());
  }
}
