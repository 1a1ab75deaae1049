import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DuckDbLakeQuery, type ExportFormat } from '../../serving-layer/sql/duckdb-lake-query.ts';
import { formatTable } from '../../serving-layer/sql/format-table.ts';
import { LakeCache, type SyncProgress } from '../../serving-layer/sql/lake-cache.ts';
import { parseTime } from '../../shared/aggregation/time.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import { s3OptionsFrom } from '../../shared/s3/options.ts';
import { S3ObjectStore } from '../../shared/s3/s3-object-store.ts';
import { parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';

const FORMATS = ['table', 'csv', 'json', 'parquet'] as const;

function progressBar(p: SyncProgress): void {
  if (!process.stderr.isTTY && p.files !== p.totalFiles) return;
  const width = 30;
  const done = p.totalBytes === 0 ? 1 : p.bytes / p.totalBytes;
  const bar = '#'.repeat(Math.round(done * width)).padEnd(width, '-');
  const mb = (b: number) => (b / 1_048_576).toFixed(1);
  process.stderr.write(
    `\rsyncing lake [${bar}] ${p.files}/${p.totalFiles} files ${mb(p.bytes)}/${mb(p.totalBytes)} MB`,
  );
  if (p.files === p.totalFiles) process.stderr.write('\n');
}

export const command: CliCommand = {
  name: 'sql',
  summary: 'Ad-hoc DuckDB SQL (or a REPL) over the raw lake and the batch aggregates',
  help: `Usage: adclick sql [--from T --to T] [--query "SQL"] [--format table|csv|json|parquet --out FILE]

Copies the lake objects of the hours asked for from S3 into a local cache (once; changed objects
are fetched again), then opens DuckDB with two views:
  raw_clicks   click_id, ad_id, click_timestamp (TIMESTAMP UTC), user_id, ip, country,
               kafka_partition, kafka_offset, dt, hour         (raw/dt=…/hour=…/*.parquet)
  agg_minute   ad_id, slice, minute (TIMESTAMP UTC), clicks, dt, hour   (agg/minute/…)
The lake is only read, never modified.

Options:
  --from T          first hour to include (epoch ms or ISO-8601; default: everything)
  --to T            end of the range, exclusive (required with --from)
  --query SQL       run one statement and exit; without it an interactive REPL starts
                    (statements end with ";", .exit to leave)
  --format F        table (default), csv, json or parquet; csv/json/parquet need --out
  --out FILE        where --format csv|json|parquet writes
  --cache DIR       local cache folder (default: $ADCLICK_HOME/cache/lake/<bucket>)
  --lake-root P/    key prefix the lake lives under inside the bucket (default none)
  -h, --help        this text

Examples:
  adclick sql --from 2026-01-05 --to 2026-01-06 --query "SELECT country, count(*) FROM raw_clicks GROUP BY 1"
  adclick sql --query "SELECT * FROM agg_minute WHERE ad_id = 'ad-1' ORDER BY minute" --format csv --out ad1.csv`,
  async run(ctx) {
    const o = parseOptions('sql', ctx.argv, {
      from: { type: 'string' },
      to: { type: 'string' },
      query: { type: 'string' },
      format: { type: 'string', default: 'table' },
      out: { type: 'string' },
      cache: { type: 'string' },
      'lake-root': { type: 'string' },
    });
    const format = o.format as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) {
      throw new AdclickError(ErrorCodes.INVALID_INPUT, `--format must be one of ${FORMATS.join(', ')}`);
    }
    if (format !== 'table' && (o.out === undefined || o.query === undefined)) {
      throw new AdclickError(ErrorCodes.INVALID_INPUT, `--format ${format} needs --query and --out`);
    }
    if ((o.from === undefined) !== (o.to === undefined)) {
      throw new AdclickError(ErrorCodes.INVALID_INPUT, '--from and --to go together');
    }
    const range =
      o.from === undefined ? {} : { from: parseTime(o.from, '--from'), to: parseTime(o.to!, '--to') };
    if (range.from !== undefined && range.to! <= range.from) {
      throw new AdclickError(ErrorCodes.INVALID_INPUT, '--to must be after --from');
    }
    const config = ctx.config();
    const store = new S3ObjectStore(s3OptionsFrom(config), ctx.logger());
    const cache = new LakeCache(store, o.cache ?? join(config.home, 'cache', 'lake', config.s3.bucket));
    const db = new DuckDbLakeQuery();
    try {
      await store.start();
      const root = o['lake-root'] ?? '';
      const objects = [
        ...(await cache.list('raw/', range, root)),
        ...(await cache.list('agg/minute/', range, root)),
      ];
      const files = await cache.sync(objects, progressBar);
      const raw = files.filter((_, i) => objects[i]!.key.startsWith(`${root}raw/`));
      const agg = files.filter((_, i) => objects[i]!.key.startsWith(`${root}agg/`));
      await db.open(raw, agg);
      console.error(`raw_clicks: ${raw.length} files, agg_minute: ${agg.length} files`);
      if (o.query !== undefined) {
        if (format === 'table') console.log(formatTable(await db.query(o.query)));
        else {
          await db.export(o.query, format as ExportFormat, o.out!);
          console.error(`wrote ${o.out}`);
        }
        return 0;
      }
      await repl(db, ctx.stopSignal);
      return 0;
    } finally {
      db.close();
      await store.close();
    }
  },
};

async function repl(db: DuckDbLakeQuery, stop: AbortSignal): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'adclick> ' });
  stop.addEventListener('abort', () => rl.close());
  let buffer = '';
  rl.prompt();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (buffer === '' && (trimmed === '.exit' || trimmed === '.quit')) break;
    buffer += `${line}\n`;
    if (!trimmed.endsWith(';')) {
      rl.setPrompt(buffer.trim() === '' ? 'adclick> ' : '     ...> ');
      rl.prompt();
      continue;
    }
    try {
      console.log(formatTable(await db.query(buffer)));
    } catch (error) {
      console.log(`error: ${(error as Error).message}`);
    }
    buffer = '';
    rl.setPrompt('adclick> ');
    rl.prompt();
  }
  rl.close();
}
