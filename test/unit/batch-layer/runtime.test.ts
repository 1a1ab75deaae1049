import { describe, expect, it } from 'vitest';
import { batchSettingsFrom } from '../../../batch-layer/runtime.ts';
import { loadConfig } from '../../../shared/config/config.ts';

describe('batchSettingsFrom', () => {
  it('takes the batch settings from config.batch (environment variables)', () => {
    const config = loadConfig({
      BATCH_HOURLY_CRON: '*/7 * * * *',
      BATCH_NIGHTLY_CRON: '15 2 * * *',
      BATCH_CLOSE_MARGIN_MS: '1000',
      PARQUET_WRITER: 'parquetjs',
      ARCHIVE_MAX_ROWS: '42',
      ARCHIVE_MAX_AGE_MS: '1500',
    });
    expect(batchSettingsFrom(config)).toEqual({
      hourlyCron: '*/7 * * * *',
      nightlyCron: '15 2 * * *',
      closeMarginMs: 1000,
      lakeRoot: '',
      writer: 'parquetjs',
      archiveMaxRows: 42,
      archiveMaxAgeMs: 1500,
      lockMs: 30_000,
      queueSuffix: '',
    });
  });

  it('lets command-line values override, and ignores the ones not given', () => {
    const settings = batchSettingsFrom(loadConfig({ ARCHIVE_MAX_ROWS: '42' }), {
      archiveMaxRows: 7,
      hourlyCron: undefined,
      lakeRoot: 'x/',
    });
    expect(settings.archiveMaxRows).toBe(7);
    expect(settings.lakeRoot).toBe('x/');
    expect(settings.hourlyCron).toBe(loadConfig({}).batch.hourlyCron);
  });
});
