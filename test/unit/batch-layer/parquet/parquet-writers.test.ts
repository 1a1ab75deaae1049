import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDuckDb, openDuckDb, sqlString } from '../../../../batch-layer/duckdb/duckdb.ts';
import type { RawClickRow, RejectedRow } from '../../../../batch-layer/lake/types.ts';
import { createParquetWriter } from '../../../../batch-layer/parquet/create-parquet-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'adclick-parquet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const raw: RawClickRow[] = Array.from({ length: 500 }, (_, i) => ({
  clickId: `c-${i}`,
  adId: `ad-${i % 7}`,
  timestampMs: Date.UTC(2026, 0, 31, 7, 0, 0, 0) + i * 1_001,
  userId: `u-${i % 13}`,
  ip: i % 2 === 0 ? `198.51.100.${i % 256}` : '2001:db8::1',
  country: ['US', 'KR', 'DE'][i % 3]!,
  kafkaPartition: i % 4,
  kafkaOffset: 10_000_000_000n + BigInt(i),
}));

const rejected: RejectedRow[] = [
  {
    kafkaPartition: 1,
    kafkaOffset: 7n,
    kafkaTimestampMs: 1_769_842_800_123,
    key: null,
    reason: 'not JSON',
    raw: new Uint8Array([0xff, 0x00, 0x7b]),
  },
  {
    kafkaPartition: 2,
    kafkaOffset: 9n,
    kafkaTimestampMs: 1_769_842_800_456,
    key: 'ad-1',
    reason: 'ip must be…',
    raw: Buffer.from('{"ip":1}'),
  },
];

async function read(sql: string) {
  const session = await openDuckDb();
  try {
    return (await session.connection.runAndReadAll(sql)).getRowsJS();
  } finally {
    closeDuckDb(session);
  }
}

describe.each(['duckdb', 'parquetjs'] as const)('%s writer', (kind) => {
  it('writes raw files DuckDB reads with the SPEC A4 columns, types and values', async () => {
    const writer = createParquetWriter(kind);
    const file = join(dir, `${kind}-raw.parquet`);
    await writer.writeRaw(raw, file);
    await writer.close();
    const types = await read(
      `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(file)}))`,
    );
    expect(types).toEqual([
      ['click_id', 'VARCHAR'],
      ['ad_id', 'VARCHAR'],
      ['click_timestamp', 'TIMESTAMP'],
      ['user_id', 'VARCHAR'],
      ['ip', 'VARCHAR'],
      ['country', 'VARCHAR'],
      ['kafka_partition', 'INTEGER'],
      ['kafka_offset', 'BIGINT'],
    ]);
    const rows = await read(
      `SELECT click_id, ad_id, epoch_ms(click_timestamp), user_id, ip, country, kafka_partition, kafka_offset
       FROM read_parquet(${sqlString(file)}) ORDER BY kafka_offset`,
    );
    expect(rows).toEqual(
      raw.map((r) => [
        r.clickId,
        r.adId,
        BigInt(r.timestampMs),
        r.userId,
        r.ip,
        r.country,
        r.kafkaPartition,
        r.kafkaOffset,
      ]),
    );
  });

  it('writes rejected files with reason and original bytes', async () => {
    const writer = createParquetWriter(kind);
    const file = join(dir, `${kind}-rejected.parquet`);
    await writer.writeRejected(rejected, file);
    await writer.close();
    const rows = await read(
      `SELECT kafka_partition, kafka_offset, epoch_ms(kafka_timestamp), message_key, reason, hex(raw)
       FROM read_parquet(${sqlString(file)}) ORDER BY kafka_offset`,
    );
    expect(rows).toEqual(
      rejected.map((r) => [
        r.kafkaPartition,
        r.kafkaOffset,
        BigInt(r.kafkaTimestampMs),
        r.key,
        r.reason,
        Buffer.from(r.raw).toString('hex').toUpperCase(),
      ]),
    );
  });
});

it('both writers produce files that read identically in DuckDB', async () => {
  const a = sqlString(join(dir, 'duckdb-raw.parquet'));
  const b = sqlString(join(dir, 'parquetjs-raw.parquet'));
  const diff = await read(
    `SELECT count(*) FROM ((SELECT * FROM read_parquet(${a}) EXCEPT ALL SELECT * FROM read_parquet(${b}))
     UNION ALL (SELECT * FROM read_parquet(${b}) EXCEPT ALL SELECT * FROM read_parquet(${a})))`,
  );
  expect(diff).toEqual([[0n]]);
});

it('rejects an unknown writer name', () => {
  expect(() => createParquetWriter('arrow')).toThrow(/duckdb or parquetjs/);
});
