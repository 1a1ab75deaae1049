import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { ParquetWriterKind } from '../parquet/types.ts';

export interface ArchiverOptions {
  /** Roll a partition's file once it buffers this many messages (default 200,000). */
  maxRows?: number;
  /** Roll a partition's file once its oldest buffered message is this old (default 60 s). */
  maxAgeMs?: number;
  /** How often the age rule is checked (default 1 s). */
  tickMs?: number;
  /** Local folder files are written to before upload. */
  stagingDir: string;
  /** Parquet writer (default `duckdb`). */
  writer?: ParquetWriterKind;
}

export type ResolvedArchiverOptions = Required<ArchiverOptions>;

export function resolveArchiverOptions(options: ArchiverOptions): ResolvedArchiverOptions {
  const resolved = {
    maxRows: 200_000,
    maxAgeMs: 60_000,
    tickMs: 1_000,
    writer: 'duckdb' as const,
    ...options,
  };
  for (const name of ['maxRows', 'maxAgeMs', 'tickMs'] as const) {
    if (!Number.isInteger(resolved[name]) || resolved[name] <= 0)
      throw new AdclickError(ErrorCodes.CONFIG_INVALID, `archiver.${name} must be a positive whole number`, {
        details: { path: `archiver.${name}` },
      });
  }
  if (resolved.stagingDir === '')
    throw new AdclickError(ErrorCodes.CONFIG_INVALID, 'archiver.stagingDir is required', {
      details: { path: 'archiver.stagingDir' },
    });
  return resolved;
}
