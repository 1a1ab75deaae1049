import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { PartitionSnapshot } from './state-types.ts';

/** 2: click ids as hashes (`idHashes`); 1 (still read): click ids as strings (`ids`). */
const FORMAT = 2;
const READABLE_FORMATS = new Set([1, 2]);

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
