import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAll } from '../../../shared/generator/generator.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import { s3OptionsFrom } from '../../../shared/s3/options.ts';
import { S3ObjectStore } from '../../../shared/s3/s3-object-store.ts';
import { recountAll } from '../../helpers/recount.ts';
import { requireS3, testConfig } from '../../helpers/services.ts';
import { writeRawLake } from './lake-fixture.ts';

const run = promisify(execFile);
const config = testConfig();
const store = new S3ObjectStore(s3OptionsFrom(config), silentLogger());
const root = `test/sql-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`;
const dir = mkdtempSync(join(tmpdir(), 'adclick-sql-cli-'));
const START = Date.UTC(2026, 1, 3, 9, 50);
const records = generateAll({ seed: 7, clicks: 4000, startMs: START, clicksPerSecond: 4, ads: 50 });
const recount = recountAll(records.map((r) => ({ partition: r.partition, event: r.event })));
const main = join(import.meta.dirname, '..', '..', '..', 'cli', 'main.ts');

function sql(...args: string[]) {
  return run(
    process.execPath,
    ['--import', 'tsx', main, 'sql', '--lake-root', root, '--cache', join(dir, 'cache'), ...args],
    { env: { ...process.env, LOG_LEVEL: 'warn' }, timeout: 60_000 },
  );
}

beforeAll(async () => {
  await requireS3(config);
  await store.start();
  await writeRawLake(store, root, records);
});

afterAll(async () => {
  for (const o of await store.list(root).catch(() => [])) await store.delete(o.key);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('adclick sql over the S3 lake', () => {
  it('counts what an independent recount counts, duplicates removed with DISTINCT', async () => {
    const [ad] = recount.top(24 * 60, 'all', START + 24 * 3_600_000, 1);
    const from = START + 10 * 60_000;
    const to = START + 70 * 60_000;
    const out = join(dir, 'count.json');
    await sql(
      '--from',
      new Date(from).toISOString(),
      '--to',
      new Date(to).toISOString(),
      '--query',
      `SELECT count(DISTINCT click_id) AS clicks FROM raw_clicks WHERE ad_id = '${ad!.adId}'
        AND click_timestamp >= epoch_ms(${from}) AND click_timestamp < epoch_ms(${to})`,
      '--format',
      'json',
      '--out',
      out,
    );
    const [row] = JSON.parse(readFileSync(out, 'utf8')) as Array<{ clicks: number }>;
    expect(row!.clicks).toBe(recount.count(ad!.adId, 'all', from, to));
    expect(row!.clicks).toBeGreaterThan(0);
  });

  it('prints a table of per-country counts that match the recount', async () => {
    const { stdout } = await sql(
      '--query',
      "SELECT country, count(DISTINCT click_id) AS n FROM raw_clicks WHERE country = 'US' GROUP BY 1",
    );
    const us = [...recount.cells]
      .filter(([k]) => k.split('|')[1] === 'country=US')
      .reduce((s, [, n]) => s + n, 0);
    expect(stdout).toMatch(new RegExp(`US\\s*│?\\s*${us}\\b`));
  });
});
