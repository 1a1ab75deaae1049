import { readFile, writeFile } from 'node:fs/promises';
import type { ArchiveMessage, ArchiveSource } from '../../../batch-layer/archiver/types.ts';
import type {
  BatchViewStore,
  HourCells,
  MinuteCount,
  PublishedHour,
  TopList,
} from '../../../shared/aggregate-store/types.ts';
import type { AdCount } from '../../../shared/aggregation/top-n.ts';
import { AdclickError, ErrorCodes } from '../../../shared/errors/errors.ts';
import type { ObjectInfo, ObjectStore } from '../../../shared/object-store/types.ts';

/** An ObjectStore in memory, for tests of the lake logic without S3. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Uint8Array>();
  puts = 0;
  async start() {}
  async close() {}
  async isReady() {
    return true;
  }
  async put(key: string, body: Uint8Array | string) {
    this.puts++;
    this.objects.set(key, typeof body === 'string' ? Buffer.from(body) : body);
  }
  async putFile(key: string, filePath: string) {
    await this.put(key, await readFile(filePath));
  }
  async get(key: string) {
    const body = this.objects.get(key);
    if (body === undefined) throw new AdclickError(ErrorCodes.NOT_FOUND, key);
    return body;
  }
  async getFile(key: string, filePath: string) {
    await writeFile(filePath, await this.get(key));
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, body]) => ({ key, size: body.byteLength, lastModified: new Date() }));
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
}

/** A BatchViewStore in memory with the same visibility rule: only published versions are read. */
export class MemoryBatchViewStore implements BatchViewStore {
  private readonly versions = new Map<
    string,
    { cells: readonly MinuteCount[]; topLists: readonly TopList[] }
  >();
  readonly published = new Map<number, PublishedHour>();
  private mark: number | undefined;
  async start() {}
  async close() {}
  isReady() {
    return true;
  }
  async watermark() {
    return this.mark;
  }
  async setWatermark(until: number) {
    this.mark = until;
  }
  async writeHourVersion(
    hour: number,
    version: number,
    cells: readonly MinuteCount[] | HourCells,
    topLists: readonly TopList[],
  ) {
    const held: MinuteCount[] = [];
    if (Array.isArray(cells)) held.push(...cells);
    else for await (const batch of (cells as HourCells).batches()) held.push(...batch);
    this.versions.set(`${hour}/${version}`, { cells: held, topLists });
  }
  async publishHour(hour: number, version: number, clicks: number) {
    this.published.set(hour, { hour, version, clicks, computedAt: Date.now() });
  }
  async publishedHours(fromHour: number, toHour: number) {
    return [...this.published.values()].filter((p) => p.hour >= fromHour && p.hour < toHour);
  }
  /** Every visible cell. */
  cells(): MinuteCount[] {
    return [...this.published.values()].flatMap((p) => this.versions.get(`${p.hour}/${p.version}`)!.cells);
  }
  topLists(): TopList[] {
    return [...this.published.values()].flatMap((p) => this.versions.get(`${p.hour}/${p.version}`)!.topLists);
  }
  async minuteCounts(adId: string, slice: string, from: number, to: number) {
    return this.cells().filter(
      (c) => c.adId === adId && c.slice === slice && c.minute >= from && c.minute < to,
    );
  }
  async sliceMinute(slice: string, minute: number): Promise<AdCount[]> {
    return this.cells()
      .filter((c) => c.slice === slice && c.minute === minute)
      .map((c) => ({ adId: c.adId, count: c.count }));
  }
  async topList(windowMinutes: number, slice: string, endMinute: number) {
    return this.topLists().find(
      (l) => l.windowMinutes === windowMinutes && l.slice === slice && l.endMinute === endMinute,
    );
  }
}

/**
 * A partitioned log with committed offsets, delivering in chunks like a consumer group. `crash()`
 * forgets everything uncommitted, as a restarted archiver would see it.
 */
export class FakeArchiveSource implements ArchiveSource {
  readonly committed = new Map<number, bigint>();
  failNextCommit = false;
  constructor(private readonly log: Map<number, ArchiveMessage[]>) {}
  private handlers: Parameters<ArchiveSource['start']>[0] | undefined;
  async start(handlers: Parameters<ArchiveSource['start']>[0]) {
    this.handlers = handlers;
  }
  /** Delivers up to `chunk` messages per partition from the committed (or given) positions. */
  async deliverAll(chunk: number, from = this.committed) {
    for (const [partition, messages] of this.log) {
      let next = Number(from.get(partition) ?? 0n);
      while (next < messages.length) {
        const batch = messages.slice(next, next + chunk);
        await this.handlers!.onMessages(partition, batch);
        next += batch.length;
      }
    }
  }
  async commit(partition: number, nextOffset: bigint) {
    if (this.failNextCommit) {
      this.failNextCommit = false;
      throw new AdclickError(ErrorCodes.UNAVAILABLE, 'commit failed', { retryable: true });
    }
    this.committed.set(partition, nextOffset);
  }
  async close() {}
  isReady() {
    return true;
  }
}
