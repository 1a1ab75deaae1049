import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { StoredMinuteRef } from './cassandra-snapshot-store.ts';
import type { PartitionSnapshot } from './state-types.ts';

/**
 * 3: closed minutes may be stored on their own (`stored`); 2: click ids as hashes (`idHashes`);
 * 1: click ids as strings (`ids`). All three are read.
 */
const FORMAT = 3;
const READABLE_FORMATS = new Set([1, 2, 3]);

/**
 * Encodes a partition snapshot as gzip-compressed JSON with a format number. JSON keeps the blob
 * readable with any tool when a restart has to be debugged; gzip shrinks the repetitive ad ids
 * several times over (click ids are stored as their hashes, base64: see `ClickIdSet`).
 */
export function encodeSnapshot(snapshot: PartitionSnapshot): Buffer {
  return gzipSync(Buffer.from(JSON.stringify({ format: FORMAT, ...snapshot }), 'utf8'), { level: 1 });
}

const gzipAsync = promisify(gzip);

/**
 * As `encodeSnapshot`, compressing on the libuv thread pool: the event loop (consuming records,
 * writing cells) only pays for the JSON.
 */
export async function encodeSnapshotAsync(snapshot: PartitionSnapshot): Promise<Buffer> {
  return gzipAsync(Buffer.from(JSON.stringify({ format: FORMAT, ...snapshot }), 'utf8'), { level: 1 });
}

/**
 * @throws AdclickError `INTERNAL` when the blob is not a snapshot this code wrote (a corrupt or
 * foreign blob must stop the partition rather than silently restart it from nothing).
 */
export function decodeSnapshot(blob: Uint8Array): PartitionSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(gunzipSync(blob).toString('utf8'));
  } catch (error) {
    throw new AdclickError(ErrorCodes.INTERNAL, 'speed snapshot is not readable gzip JSON', { cause: error });
  }
  const v = value as Partial<PartitionSnapshot> & { format?: number };
  if (
    !READABLE_FORMATS.has(v.format as number) ||
    typeof v.partition !== 'number' ||
    typeof v.nextOffset !== 'string' ||
    !/^\d+$/.test(v.nextOffset) ||
    !Array.isArray(v.minutes)
  ) {
    throw new AdclickError(
      ErrorCodes.INTERNAL,
      `speed snapshot has an unknown shape (format ${String(v.format)})`,
    );
  }
  return {
    partition: v.partition,
    nextOffset: v.nextOffset,
    maxEventMs: v.maxEventMs ?? null,
    watermarkMs: v.watermarkMs ?? null,
    lateIds: Array.isArray(v.lateIds) ? v.lateIds : [],
    minutes: v.minutes,
  };
}

/** A snapshot ready to save: its state, and the closed minutes to store before it. */
export interface SplitSnapshot {
  state: Buffer;
  minutes: Array<{ minute: number; counts: Buffer }>;
  /** Oldest minute the state refers to (or holds), if any. */
  keepFrom: number | undefined;
}

/**
 * Encodes a snapshot for saving under `epoch`: each closed minute not stored yet goes into a blob
 * of its own (gzip JSON of its counts) and the state refers to it by epoch; the open minutes stay
 * in the state. Compression runs on the libuv pool.
 */
export async function encodeForSave(snapshot: PartitionSnapshot, epoch: number): Promise<SplitSnapshot> {
  const minutes: Array<Promise<{ minute: number; counts: Buffer }>> = [];
  const state: PartitionSnapshot = {
    ...snapshot,
    minutes: snapshot.minutes.map((m) => {
      if (!m.closed || m.stored != null) return m;
      const json = Buffer.from(JSON.stringify(m.counts), 'utf8');
      minutes.push(gzipAsync(json, { level: 1 }).then((counts) => ({ minute: m.minute, counts })));
      return { ...m, counts: {}, stored: epoch };
    }),
  };
  return {
    state: await encodeSnapshotAsync(state),
    minutes: await Promise.all(minutes),
    keepFrom: snapshot.minutes[0]?.minute,
  };
}

/** The stored minutes a decoded snapshot refers to. */
export function storedMinuteRefs(snapshot: PartitionSnapshot): StoredMinuteRef[] {
  const refs: StoredMinuteRef[] = [];
  for (const m of snapshot.minutes) if (m.stored != null) refs.push({ minute: m.minute, epoch: m.stored });
  return refs;
}

/**
 * The snapshot with its stored minutes' counts put back from their blobs (`loadMinutes`).
 * @throws AdclickError `INTERNAL` when a blob is missing or unreadable
 */
export function withStoredMinutes(
  snapshot: PartitionSnapshot,
  blobs: ReadonlyMap<number, Uint8Array>,
): PartitionSnapshot {
  return {
    ...snapshot,
    minutes: snapshot.minutes.map((m) => {
      if (m.stored == null) return m;
      const blob = blobs.get(m.minute);
      let counts: unknown;
      try {
        counts = blob === undefined ? undefined : JSON.parse(gunzipSync(blob).toString('utf8'));
      } catch (error) {
        throw new AdclickError(
          ErrorCodes.INTERNAL,
          'stored speed snapshot minute is not readable gzip JSON',
          {
            cause: error,
          },
        );
      }
      if (typeof counts !== 'object' || counts === null) {
        throw new AdclickError(
          ErrorCodes.INTERNAL,
          `speed snapshot minute ${new Date(m.minute).toISOString()} is missing or has an unknown shape`,
        );
      }
      return { ...m, counts: counts as PartitionSnapshot['minutes'][number]['counts'], stored: null };
    }),
  };
}
