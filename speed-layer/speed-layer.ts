import { getHeapStatistics } from 'node:v8';
import { Hono } from 'hono';
import type { Admin, Batch, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { SpeedViewStore } from '../shared/aggregate-store/types.ts';
import { MINUTE_MS } from '../shared/aggregation/time.ts';
import { sleep } from '../shared/async/wait-for.ts';
import type { ClickEvent } from '../shared/click-event/types.ts';
import type { ClickPublisher, OutgoingRecord } from '../shared/click-publisher/types.ts';
import { AdclickError, ErrorCodes, isRetryable } from '../shared/errors/errors.ts';
import { ensureTopics, translateKafkaError } from '../shared/kafka/kafka.ts';
import type { Lifecycle } from '../shared/lifecycle/types.ts';
import type { Logger } from '../shared/logger/logger.ts';
import { partitionForKey } from '../shared/partitioning/partition-for-key.ts';
import type { SnapshotStore, StoredSnapshot } from './aggregate/cassandra-snapshot-store.ts';
import type { PartitionState } from './aggregate/partition-state.ts';
import { type FlushPlan, PartitionStates } from './aggregate/partition-states.ts';
import { decodeSnapshot, encodeSnapshotAsync } from './aggregate/snapshot-codec.ts';
import type { PartitionSnapshot } from './aggregate/state-types.ts';
import { BackpressureGate } from './flush/backpressure.ts';
import { FlushPipeline, type MergedCells } from './flush/flush-pipeline.ts';
import { type Listening, listen } from './http/listen.ts';
import { mapRecord } from './map/map-node.ts';
import { SpeedMetrics } from './metrics/speed-metrics.ts';
import { type SpeedLayerOptions, validateSpeedOptions } from './options.ts';
import type { GlobalTopLists } from './reduce/types.ts';

/** Longest wait of a fetch (see the consumer's settings in `start`). */
const FETCH_MAX_WAIT_MS = 200;

/** Records consumed between two backpressure checks within a batch. */
const CHUNK_RECORDS = 500;

/** A snapshot taken at flush round `seq`, encoded when its save is due. */
interface PendingSnapshot {
  seq: number;
  snapshot: PartitionSnapshot;
  epoch: number;
  stored?: StoredSnapshot;
}

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
  /** Partition → restore in progress or done (the promise resolves once its state is in place). */
  readonly #loaded = new Map<number, Promise<void>>();
  /** Partitions whose first batch after restore has not been checked against the snapshot offset. */
  readonly #unchecked = new Set<number>();
  readonly #dirty = new Set<number>();
  readonly #pipeline: FlushPipeline;
  readonly #gate: BackpressureGate;
  /** Partition → its newest snapshot not saved yet, and the flush round it was taken at. */
  readonly #pendingSnapshots = new Map<number, PendingSnapshot>();
  readonly #saved = new Map<number, string>();
  /** Partitions of the latest assignment (a restore finishing after a revoke is discarded). */
  #assigned = new Set<number>();
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
  /** Partition → our claim on its snapshot row (`SnapshotStore.claim`). */
  readonly #epochs = new Map<number, number>();

  constructor(options: SpeedLayerOptions, deps: SpeedLayerDeps) {
    validateSpeedOptions(options);
    this.#o = options;
    this.#deps = deps;
    this.metrics = deps.metrics ?? new SpeedMetrics();
    this.#log = deps.logger.child({ component: 'speed-layer', group: options.groupId });
    this.#states = new PartitionStates({
      definition: options.definition,
      allowedLatenessMs: options.allowedLatenessMs,
      idleTimeoutMs: options.idleTimeoutMs,
      retainMs: options.retainMinutes * MINUTE_MS,
    });
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
      snapshotsDue: (through) => [...this.#pendingSnapshots.values()].some((s) => s.seq <= through),
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
      this.#assigned = assigned;
      // A partition that left us is restored by its new owner from its snapshot; ours is stale.
      for (const p of [...this.#loaded.keys()]) {
        if (!assigned.has(p)) this.#forget(p);
      }
      // Restored now rather than on its first batch, so the first fetch already seeks right and
      // an idle partition's state (and its closing minutes) is back without waiting for records.
      for (const p of assigned) {
        this.#ensureLoaded(p).catch((error: unknown) =>
          this.#log.warn(
            { err: String(error), partition: p },
            'eager restore failed; retried on first batch',
          ),
        );
      }
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
    const change = this.#gate.update({ pendingRows, heapBytes: getHeapStatistics().used_heap_size });
    if (change === undefined || this.#consumer === undefined) return;
    const heapMb = Math.round(getHeapStatistics().used_heap_size / 1024 / 1024);
    if (change === 'pause') {
      this.#consumer.pause([{ topic: this.#o.topic }]);
      this.metrics.backpressurePauses.inc();
      this.#log.info({ pendingRows, heapMb }, 'writes behind: fetching paused');
    } else {
      this.#consumer.resume([{ topic: this.#o.topic }]);
      this.#log.info({ pendingRows, heapMb }, 'writes caught up: fetching resumed');
    }
    this.metrics.backpressurePaused.set(this.#gate.paused ? 1 : 0);
  }

  /** Next offset of each partition as of its last saved snapshot (what a restart resumes from). */
  savedOffsets(): ReadonlyMap<number, string> {
    return this.#saved;
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
    });
    const seq = this.#pipeline.push(plan);
    this.metrics.planSeconds.observe((performance.now() - planStart) / 1000);
    // Without a snapshot now, the partitions stay dirty for the next round that takes one. Only
    // where top lists were ranked: a deferred plan's changes still owe their lists.
    const snapshotNow =
      listsNow &&
      (force ||
        (now - this.#lastSnapshotMs >= this.#o.snapshotIntervalMs && this.#pendingSnapshots.size === 0));
    if (snapshotNow) {
      this.#lastSnapshotMs = now;
      for (const p of this.#dirty) {
        if (!this.#states.has(p)) continue;
        // A copy: encoded later, off the cell path, while the state moves on.
        const snapshot = this.#states.get(p).snapshot();
        this.#pendingSnapshots.set(p, { seq, snapshot, epoch: this.#epochs.get(p) ?? 0 });
      }
      this.#dirty.clear();
    }
    for (const p of this.#states.partitions()) {
      const wm = this.#states.get(p).watermarkMs;
      if (Number.isFinite(wm)) this.metrics.watermarkDelay.set({ partition: String(p) }, (now - wm) / 1000);
    }
    return seq;
  }

  async #writeCells(cells: MergedCells): Promise<void> {
    const started = performance.now();
    const { store } = this.#deps;
    if (store.upsertCells !== undefined) await store.upsertCells(cells);
    else await store.upsertMinuteCounts([...cells.open, ...cells.closed]);
    this.metrics.flushSeconds.observe((performance.now() - started) / 1000);
    this.metrics.cellsWritten.inc(cells.open.length + cells.closed.length);
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
    const started = performance.now();
    const due = [...this.#pendingSnapshots.values()].filter((s) => s.seq <= through);
    for (const s of due) {
      s.stored ??= {
        partition: s.snapshot.partition,
        topic: this.#o.topic,
        offset: s.snapshot.nextOffset,
        state: await encodeSnapshotAsync(s.snapshot),
        epoch: s.epoch,
      };
    }
    // A partition revoked or fenced meanwhile has left the map: its snapshot is not ours to save.
    const pending = due.filter((s) => this.#pendingSnapshots.get(s.snapshot.partition) === s);
    if (pending.length === 0) return;
    const fenced = new Set(
      await this.#deps.snapshots.save(
        this.#o.groupId,
        pending.map((s) => s.stored!),
      ),
    );
    this.metrics.snapshotSeconds.observe((performance.now() - started) / 1000);
    for (const p of fenced) {
      // Another process claimed the partition since our restore: its state is newer than ours.
      this.#log.warn({ partition: p }, 'snapshot refused: partition claimed by another process; dropping it');
      this.metrics.snapshotsFenced.inc();
      this.#forget(p);
    }
    const saved = pending.filter((s) => !fenced.has(s.snapshot.partition)).map((s) => s.stored!);
    for (const s of saved) {
      const entry = this.#pendingSnapshots.get(s.partition);
      if (entry?.stored === s) this.#pendingSnapshots.delete(s.partition);
      this.#saved.set(s.partition, s.offset);
      this.metrics.snapshotBytes.set({ partition: String(s.partition) }, s.state.byteLength);
    }
    await this.#consumer
      ?.commitOffsets(saved.map((s) => ({ topic: this.#o.topic, partition: s.partition, offset: s.offset })))
      .catch((error: unknown) =>
        this.#log.debug({ err: String(error) }, 'informational offset commit failed'),
      );
  }

  /**
   * A round every flush interval, on a fixed cadence: a round is planned when the cell stage is
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

  #forget(partition: number): void {
    this.#loaded.delete(partition);
    this.#unchecked.delete(partition);
    this.#dirty.delete(partition);
    this.#pendingSnapshots.delete(partition);
    this.#epochs.delete(partition);
    this.#states.drop(partition);
  }

  #ensureLoaded(partition: number): Promise<void> {
    let loading = this.#loaded.get(partition);
    if (loading === undefined) {
      loading = this.#restore(partition);
      this.#loaded.set(partition, loading);
      loading.catch(() => this.#loaded.delete(partition));
    }
    return loading;
  }

  async #restore(partition: number): Promise<void> {
    // Claim first, then load: a previous owner's later saves are refused, so what we load is final.
    const epoch = await this.#deps.snapshots.claim(this.#o.groupId, partition);
    const stored = await this.#deps.snapshots.load(this.#o.groupId, partition);
    if (!this.#assigned.has(partition)) return;
    this.#epochs.set(partition, epoch);
    if (stored !== undefined) {
      if (stored.topic !== this.#o.topic) {
        throw new AdclickError(
          ErrorCodes.CONFIG_INVALID,
          `consumer group ${this.#o.groupId} has snapshots of topic ${stored.topic}, not ${this.#o.topic}: use another group`,
        );
      }
      const snapshot = decodeSnapshot(stored.state);
      this.#states.restore({ ...snapshot, partition, nextOffset: stored.offset });
      this.#saved.set(partition, stored.offset);
    } else {
      // No snapshot: start from the earliest record still in the log.
      const offsets = await this.#admin!.fetchTopicOffsets(this.#o.topic);
      const low = offsets.find((o) => o.partition === partition)?.low ?? '0';
      if (!this.#assigned.has(partition)) return;
      this.#states.drop(partition);
      this.#states.get(partition).nextOffset = low;
    }
    this.#unchecked.add(partition);
    this.#log.info(
      { partition, offset: this.#states.get(partition).nextOffset, fromSnapshot: stored !== undefined },
      'partition restored',
    );
  }

  async #onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    await this.#ensureLoaded(partition);
    // Fetched before the pause took effect: left unresolved, so it is fetched again on resume.
    if (!isRunning() || isStale() || batch.isEmpty() || this.#gate.paused) return;
    const state = this.#states.get(partition);
    if (this.#unchecked.has(partition)) {
      this.#unchecked.delete(partition);
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
      const last = await this.#consume(state, batch, batch.messages.slice(i, i + CHUNK_RECORDS), isRunning);
      if (last !== undefined) {
        consumed = true;
        resolveOffset(last);
        // Records of this partition still waiting in Kafka behind this one.
        const lag = BigInt(batch.highWatermark) - BigInt(last) - 1n;
        this.metrics.consumerLag.set({ partition: String(partition) }, Number(lag > 0n ? lag : 0n));
      }
      this.#checkBackpressure();
      await heartbeat();
      if (this.#gate.paused) return;
    }
    if (!consumed) resolveOffset(batch.lastOffset());
  }

  /**
   * Maps and counts records of one partition from its next offset on; returns the offset of the
   * last record consumed, or `undefined` when every record was already counted.
   */
  async #consume(
    state: PartitionState,
    batch: Batch,
    messages: readonly KafkaMessage[],
    isRunning: () => boolean,
  ): Promise<string | undefined> {
    const partition = batch.partition;
    const next = BigInt(state.nextOffset);
    const clicks: Array<{ offset: string; event: ClickEvent }> = [];
    const deadLetters: OutgoingRecord[] = [];
    const rekeyed: OutgoingRecord[] = [];
    let lastOffset: string | undefined;
    for (const message of messages) {
      if (BigInt(message.offset) < next) continue;
      lastOffset = message.offset;
      const mapped = mapRecord(
        { topic: batch.topic, partition, offset: message.offset, key: message.key, value: message.value },
        this.#partitionCount,
      );
      if (mapped.kind === 'rejected') deadLetters.push(mapped.record);
      else if (mapped.misKeyed && this.#o.rekey) {
        // Re-keyed: produced again to the partition its ad hashes to, counted there, not here.
        this.metrics.misKeyed.inc();
        rekeyed.push({
          key: mapped.event.adId,
          value: message.value ?? '',
          partition: partitionForKey(mapped.event.adId, this.#partitionCount),
        });
      } else {
        if (mapped.misKeyed) this.metrics.misKeyed.inc();
        clicks.push({ offset: message.offset, event: mapped.event });
      }
    }
    if (lastOffset === undefined) return undefined;
    // Dead letters and re-keyed clicks are acknowledged before the offsets past them can reach a
    // snapshot; a replay may send them twice (a re-keyed duplicate is dropped by click_id).
    await this.#publishDeadLetters(this.#o.dlqTopic, deadLetters, isRunning);
    await this.#publishDeadLetters(this.#o.topic, rekeyed, isRunning);
    this.metrics.eventsIn.inc({ outcome: 'rekeyed' }, rekeyed.length);
    const now = Date.now();
    for (const { event } of clicks) {
      const outcome = state.add(event, now);
      this.metrics.eventsIn.inc({ outcome });
      if (outcome === 'late') this.metrics.late.inc();
      else if (outcome === 'duplicate') this.metrics.duplicates.inc();
    }
    this.metrics.eventsIn.inc({ outcome: 'rejected' }, deadLetters.length);
    this.metrics.dlq.inc(deadLetters.length);
    state.nextOffset = (BigInt(lastOffset) + 1n).toString();
    this.#dirty.add(partition);
    return lastOffset;
  }

  async #publishDeadLetters(
    topic: string,
    records: OutgoingRecord[],
    isRunning: () => boolean,
  ): Promise<void> {
    if (records.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#deps.dlq.publish(topic, records);
        return;
      } catch (error) {
        if (!isRetryable(error) || !isRunning()) throw error;
        this.#log.warn({ err: String(error), attempt, topic }, 'cannot produce to Kafka; retrying');
        await sleep(Math.min(5000, 200 * attempt));
      }
    }
  }
}
