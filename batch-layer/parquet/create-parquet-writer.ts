import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import { DuckDbParquetWriter } from './duckdb-parquet-writer.ts';
import { ParquetjsParquetWriter } from './parquetjs-parquet-writer.ts';
import type { ParquetWriter, ParquetWriterKind } from './types.ts';

/** The writer named by configuration (`duckdb`, the default, or `parquetjs`). */
export function createParquetWriter(kind: ParquetWriterKind | string = 'duckdb'): ParquetWriter {
  if (kind === 'duckdb') return new DuckDbParquetWriter();
  if (kind === 'parquetjs') return new ParquetjsParquetWriter();
  throw new AdclickError(
    ErrorCodes.CONFIG_INVALID,
    `parquet writer must be duckdb or parquetjs, got "${kind}"`,
    {
      details: { path: 'archiver.writer' },
    },
  );
}
