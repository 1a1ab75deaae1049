import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import type { ClickPublisher, OutgoingRecord } from '../click-publisher/types.ts';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';
import type { Logger } from '../logger/logger.ts';
import { translateKafkaError } from './errors.ts';

export interface KafkaClickPublisherOptions {
  /** Bytes that may wait for acknowledgement before `publish` refuses more (default 32 MiB). */
  maxPendingBytes?: number;
  /** How long one publish may take before it fails as unavailable (default 10 s). */
  publishTimeoutMs?: number;
  /**
   * Record bytes (key, value, headers) per partition per produce request (default 768 KiB). A
   * broker refuses a partition's batch larger than its `message.max.bytes` (1 MiB by default),
   * and kafkajs sends one `send` as one request, so a larger publish is sent in several.
   */
  maxSendBytes?: number;
}

/** Framing of one record in a batch (lengths, offsets, timestamps), counted on top of its bytes. */
const RECORD_OVERHEAD_BYTES = 64;
/** Bytes of one request over all partitions, well under the broker's `socket.request.max.bytes` (100 MiB). */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/**
 * `ClickPublisher` over a kafkajs idempotent producer with acks=all and Kafka's default
 * (murmur2) partitioner, so a key lands where any Java client would put it. A bounded number of
 * unacknowledged bytes gives callers backpressure instead of an unbounded buffer.
 */
export class KafkaClickPublisher implements ClickPublisher {
  readonly #producer: Producer;
  readonly #logger: Logger;
  readonly #maxPendingBytes: number;
  readonly #publishTimeoutMs: number;
  readonly #maxSendBytes: number;
  #pending = 0;
  #connected = false;

  constructor(kafka: Kafka, logger: Logger, options: KafkaClickPublisherOptions = {}) {
    this.#producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    this.#logger = logger.child({ component: 'kafka-click-publisher' });
    this.#maxPendingBytes = options.maxPendingBytes ?? 32 * 1024 * 1024;
    this.#publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.#maxSendBytes = options.maxSendBytes ?? 768 * 1024;
    this.#producer.on(this.#producer.events.DISCONNECT, () => {
      this.#connected = false;
    });
    this.#producer.on(this.#producer.events.CONNECT, () => {
      this.#connected = true;
    });
  }

  async start(): Promise<void> {
    try {
      await this.#producer.connect();
      this.#connected = true;
    } catch (error) {
      throw translateKafkaError(error, 'connecting the producer');
    }
  }

  async close(): Promise<void> {
    await this.#producer.disconnect().catch((error: unknown) => {
      this.#logger.warn({ err: String(error) }, 'producer disconnect failed');
    });
    this.#connected = false;
  }

  isReady(): boolean {
    return this.#connected;
  }

  pendingBytes(): number {
    return this.#pending;
  }

  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    let bytes = 0;
    for (const r of records)
      bytes += typeof r.value === 'string' ? Buffer.byteLength(r.value) : r.value.byteLength;
    if (this.#pending > 0 && this.#pending + bytes > this.#maxPendingBytes) {
      throw new AdclickError(
        ErrorCodes.UNAVAILABLE,
        'Kafka is not keeping up: too many clicks waiting for acknowledgement',
        {
          retryable: true,
          details: { pendingBytes: this.#pending },
        },
      );
    }
    this.#pending += bytes;
    let timer: NodeJS.Timeout | undefined;
    try {
      // Bytes stay pending until Kafka answers, even past our timeout, so backpressure sees them.
      const send = this.#sendInRequests(topic, records).finally(() => {
        this.#pending -= bytes;
      });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new AdclickError(
                ErrorCodes.UNAVAILABLE,
                `Kafka did not acknowledge within ${this.#publishTimeoutMs} ms`,
                { retryable: true },
              ),
            ),
          this.#publishTimeoutMs,
        );
      });
      // A timed-out send may still complete later; the idempotent producer keeps that from
      // writing twice, and the caller's retry of the same click_id is deduplicated downstream
      // (as is a retry after a failure that left the first requests written).
      send.catch(() => undefined);
      await Promise.race([send, timeout]);
    } catch (error) {
      throw error instanceof AdclickError ? error : translateKafkaError(error, `publishing to ${topic}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends the records in order, in requests that hold at most `maxSendBytes` for any one partition
   * and `MAX_REQUEST_BYTES` in all. Records without an explicit partition may land in any one, so
   * they count toward every partition. Bounding per partition keeps a request to a dozen
   * partitions large: requests go one after the other, each waiting for its acknowledgement.
   */
  async #sendInRequests(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    let chunk: Message[] = [];
    let chunkBytes = 0;
    const explicit = new Map<number, number>();
    let largestExplicit = 0;
    let anywhere = 0;
    for (const r of records) {
      const message = toMessage(r);
      const size = messageBytes(message);
      const partitionBytes =
        (r.partition === undefined ? largestExplicit : (explicit.get(r.partition) ?? 0)) + anywhere;
      if (
        chunk.length > 0 &&
        (partitionBytes + size > this.#maxSendBytes || chunkBytes + size > MAX_REQUEST_BYTES)
      ) {
        await this.#producer.send({ topic, acks: -1, messages: chunk });
        chunk = [];
        chunkBytes = 0;
        explicit.clear();
        largestExplicit = 0;
        anywhere = 0;
      }
      chunk.push(message);
      chunkBytes += size;
      if (r.partition === undefined) anywhere += size;
      else {
        const bytes = (explicit.get(r.partition) ?? 0) + size;
        explicit.set(r.partition, bytes);
        largestExplicit = Math.max(largestExplicit, bytes);
      }
    }
    if (chunk.length > 0) await this.#producer.send({ topic, acks: -1, messages: chunk });
  }
}

function toMessage(r: OutgoingRecord): Message {
  return {
    key: r.key,
    value:
      typeof r.value === 'string'
        ? r.value
        : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
    partition: r.partition,
    headers: r.headers,
  };
}

function messageBytes(m: Message): number {
  let size = RECORD_OVERHEAD_BYTES + Buffer.byteLength(m.value as string | Buffer);
  if (typeof m.key === 'string') size += Buffer.byteLength(m.key);
  for (const [k, v] of Object.entries(m.headers ?? {}))
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  return size;
}
