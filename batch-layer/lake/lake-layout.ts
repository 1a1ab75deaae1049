import { HOUR_MS, hourOf, isoDate, isoHour } from '../../shared/aggregation/time.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { LakeObjectName } from './types.ts';

const NAME = /(?:^|\/)(raw|rejected)\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/p(\d+)-(\d+)-(\d+)\.parquet$/;

/**
 * Key naming of the lake (SPEC A4). Every key lives under an optional `root` so tests and several
 * deployments can share a bucket. Raw objects are named by Kafka partition and offset range, so a
 * retry after a crash rewrites the very same object instead of adding a copy.
 *
 *   <root>raw/dt=YYYY-MM-DD/hour=HH/p<partition>-<firstOffset>-<lastOffset>.parquet
 *   <root>rejected/dt=YYYY-MM-DD/hour=HH/p<partition>-<firstOffset>-<lastOffset>.parquet
 *   <root>agg/minute/dt=YYYY-MM-DD/hour=HH/part.parquet
 *   <root>agg/top/dt=YYYY-MM-DD/hour=HH/part.parquet
 */
export class LakeLayout {
  readonly root: string;

  constructor(root = '') {
    if (root !== '' && !root.endsWith('/'))
      throw new AdclickError(ErrorCodes.CONFIG_INVALID, `lake root "${root}" must end with "/"`, {
        details: { path: 'lake.root' },
      });
    this.root = root;
  }

  /** Prefix of one hour's raw objects (event time). */
  rawHourPrefix(hour: number): string {
    return `${this.root}raw/${partitionPath(hour)}`;
  }

  rejectedHourPrefix(hour: number): string {
    return `${this.root}rejected/${partitionPath(hour)}`;
  }

  rawObjectKey(hour: number, partition: number, firstOffset: bigint, lastOffset: bigint): string {
    return `${this.rawHourPrefix(hour)}${objectName(partition, firstOffset, lastOffset)}`;
  }

  rejectedObjectKey(hour: number, partition: number, firstOffset: bigint, lastOffset: bigint): string {
    return `${this.rejectedHourPrefix(hour)}${objectName(partition, firstOffset, lastOffset)}`;
  }

  /** The batch layer's per-minute cells of one hour. */
  aggMinuteKey(hour: number): string {
    return `${this.root}agg/minute/${partitionPath(hour)}part.parquet`;
  }

  /** The batch layer's top-N lists whose window ends in one hour. */
  aggTopKey(hour: number): string {
    return `${this.root}agg/top/${partitionPath(hour)}part.parquet`;
  }

  /** Parses a raw or rejected object key; `undefined` for anything else. */
  parse(key: string): LakeObjectName | undefined {
    if (!key.startsWith(this.root)) return undefined;
    const m = NAME.exec(key.slice(this.root.length));
    if (m === null) return undefined;
    const [, kind, dt, hh, partition, first, last] = m as unknown as string[];
    return {
      kind: kind as 'raw' | 'rejected',
      hour: Date.parse(`${dt}T${hh}:00:00Z`),
      partition: Number(partition),
      firstOffset: BigInt(first!),
      lastOffset: BigInt(last!),
    };
  }
}

function partitionPath(hour: number): string {
  if (hourOf(hour) !== hour)
    throw new AdclickError(ErrorCodes.INTERNAL, `${hour} is not the start of an hour`);
  return `dt=${isoDate(hour)}/hour=${isoHour(hour)}/`;
}

function objectName(partition: number, firstOffset: bigint, lastOffset: bigint): string {
  return `p${partition}-${firstOffset}-${lastOffset}.parquet`;
}

/** Every hour start in `[fromHour, toHour)`. */
export function hoursIn(fromMs: number, toMs: number): number[] {
  const out: number[] = [];
  for (let h = hourOf(fromMs); h < toMs; h += HOUR_MS) out.push(h);
  return out;
}
