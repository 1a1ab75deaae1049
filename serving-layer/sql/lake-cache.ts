import { mkdir, stat, utimes } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { DAY_MS, HOUR_MS, hourOf, isoDate, isoHour } from '../../shared/aggregation/time.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { ObjectInfo, ObjectStore } from '../../shared/object-store/types.ts';

/** Progress of a sync: objects and bytes done out of the total needed. */
export interface SyncProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

/** Which lake objects a query needs: everything, or the hours of `[from, to)`. */
export interface LakeRange {
  from?: number;
  to?: number;
}

/**
 * A read-only local mirror of lake objects (the DuckDB here has no httpfs). Objects are downloaded
 * once and kept; one whose size or modification time changed (an `agg/` hour recomputed by a
 * replay) is fetched again. Nothing is ever written to the object store.
 */
export class LakeCache {
  readonly #objects: ObjectStore;
  readonly #dir: string;

  constructor(objects: ObjectStore, dir: string) {
    this.#objects = objects;
    this.#dir = resolve(dir);
  }

  /** Lists the Parquet objects under `kind` (`raw/`, `agg/minute/`) that fall in `range`. */
  async list(kind: string, range: LakeRange, root = ''): Promise<ObjectInfo[]> {
    const base = `${root}${kind}`;
    const prefixes =
      range.from === undefined || range.to === undefined
        ? [base]
        : daysIn(range.from, range.to).map((day) => `${base}dt=${isoDate(day)}/`);
    const wanted =
      range.from === undefined || range.to === undefined ? undefined : new Set(hoursOf(range.from, range.to));
    const found: ObjectInfo[] = [];
    for (const prefix of prefixes) {
      for (const o of await this.#objects.list(prefix)) {
        if (!o.key.endsWith('.parquet')) continue;
        const m = /dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\//.exec(o.key);
        if (wanted !== undefined && (m === null || !wanted.has(`${m[1]}T${m[2]}`))) continue;
        found.push(o);
      }
    }
    return found;
  }

  /** Downloads what is missing or changed; returns the local paths, in the objects' order. */
  async sync(objects: readonly ObjectInfo[], onProgress?: (p: SyncProgress) => void): Promise<string[]> {
    const totalBytes = objects.reduce((s, o) => s + o.size, 0);
    const progress: SyncProgress = { files: 0, totalFiles: objects.length, bytes: 0, totalBytes };
    onProgress?.(progress);
    const paths: string[] = [];
    for (const o of objects) {
      const path = this.localPath(o.key);
      if (!(await this.#fresh(path, o))) {
        await mkdir(dirname(path), { recursive: true });
        await this.#objects.getFile(o.key, path);
        await utimes(path, o.lastModified, o.lastModified);
      }
      paths.push(path);
      progress.files++;
      progress.bytes += o.size;
      onProgress?.(progress);
    }
    return paths;
  }

  /** Where an object is kept locally; refuses keys that would escape the cache folder. */
  localPath(key: string): string {
    const path = resolve(join(this.#dir, key));
    if (relative(this.#dir, path).startsWith('..')) {
      throw new AdclickError(ErrorCodes.INVALID_INPUT, `object key escapes the cache: ${key}`);
    }
    return path;
  }

  async #fresh(path: string, o: ObjectInfo): Promise<boolean> {
    try {
      const s = await stat(path);
      return s.size === o.size && Math.abs(s.mtimeMs - o.lastModified.getTime()) < 1000;
    } catch {
      return false;
    }
  }
}

function daysIn(from: number, to: number): number[] {
  const out: number[] = [];
  for (let d = Math.floor(from / DAY_MS) * DAY_MS; d < to; d += DAY_MS) out.push(d);
  return out;
}

function hoursOf(from: number, to: number): string[] {
  const out: string[] = [];
  for (let h = hourOf(from); h < to; h += HOUR_MS) out.push(`${isoDate(h)}T${isoHour(h)}`);
  return out;
}
