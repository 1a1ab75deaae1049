import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertIdempotent,
  loadMigrations,
  migrationChecksum,
  migrationVersion,
  parseMigration,
  splitStatements,
} from '../../../../shared/cassandra/migrations.ts';

describe('splitStatements', () => {
  it('splits at semicolons and drops empty statements', () => {
    expect(splitStatements('CREATE TABLE IF NOT EXISTS a (x int PRIMARY KEY);;\n\n  SELECT 1 ;  ')).toEqual([
      'CREATE TABLE IF NOT EXISTS a (x int PRIMARY KEY)',
      'SELECT 1',
    ]);
  });

  it('keeps a last statement without a semicolon', () => {
    expect(splitStatements('SELECT 1;\nSELECT 2')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('drops --, // and /* */ comments, including ones that contain semicolons', () => {
    const cql = [
      '-- a header; with a semicolon',
      'CREATE TABLE IF NOT EXISTS a (x int PRIMARY KEY); // trailing; comment',
      '/* block;',
      '   comment */ SELECT 1;',
    ].join('\n');
    expect(splitStatements(cql)).toEqual(['CREATE TABLE IF NOT EXISTS a (x int PRIMARY KEY)', 'SELECT 1']);
  });

  it('leaves semicolons and comment markers inside strings, quoted identifiers and $$ blocks alone', () => {
    const cql = `CREATE TABLE IF NOT EXISTS a (x int PRIMARY KEY) WITH comment = 'it''s; -- not a comment';
SELECT "odd;""name" FROM a;
CREATE FUNCTION IF NOT EXISTS f(i int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS $$ return i; // x $$;`;
    expect(splitStatements(cql)).toEqual([
      "CREATE TABLE IF NOT EXISTS a (x int PRIMARY KEY) WITH comment = 'it''s; -- not a comment'",
      'SELECT "odd;""name" FROM a',
      'CREATE FUNCTION IF NOT EXISTS f(i int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS $$ return i; // x $$',
    ]);
  });

  it('fails on an unterminated string or comment', () => {
    expect(() => splitStatements("SELECT 'open;")).toThrow(/unterminated string/);
    expect(() => splitStatements('SELECT 1 /* open')).toThrow(/unterminated \/\* comment/);
  });

  it('returns nothing for a file of comments only', () => {
    expect(splitStatements('-- nothing\n/* here */\n')).toEqual([]);
  });
});

describe('migration files', () => {
  it('takes the version from NNN_name.cql and ignores other files', () => {
    expect(migrationVersion('001_views.cql')).toBe(1);
    expect(migrationVersion('030_reconciliation_reports.cql')).toBe(30);
    expect(migrationVersion('README.md')).toBeUndefined();
    expect(() => migrationVersion('1_views.cql')).toThrow(/NNN_lower_snake_name/);
    expect(() => migrationVersion('002-Views.cql')).toThrow(/NNN_lower_snake_name/);
  });

  it('checksums ignore CRLF versus LF', () => {
    expect(migrationChecksum('SELECT 1;\r\nSELECT 2;\r\n')).toBe(migrationChecksum('SELECT 1;\nSELECT 2;\n'));
    expect(migrationChecksum('SELECT 1;')).not.toBe(migrationChecksum('SELECT 2;'));
  });

  it('rejects statements that are not safe to run twice', () => {
    expect(() => assertIdempotent('CREATE TABLE a (x int PRIMARY KEY)', 'f')).toThrow(/IF NOT EXISTS/);
    expect(() => assertIdempotent('CREATE INDEX i ON a (y)', 'f')).toThrow(/IF NOT EXISTS/);
    expect(() => assertIdempotent('DROP TABLE a', 'f')).toThrow(/IF EXISTS/);
    expect(() => assertIdempotent('ALTER TABLE a ADD y int', 'f')).toThrow(/ADD needs IF NOT EXISTS/);
    expect(() => assertIdempotent('ALTER TABLE a DROP y', 'f')).toThrow(/DROP needs IF EXISTS/);
    expect(() => assertIdempotent('USE other', 'f')).toThrow(/keyspace/);
    expect(() => assertIdempotent('CREATE KEYSPACE IF NOT EXISTS k WITH replication = {}', 'f')).toThrow(
      /keyspace/,
    );
    for (const ok of [
      'CREATE TABLE IF NOT EXISTS a (x int PRIMARY KEY)',
      "create custom index if not exists i on a (y) using 'StorageAttachedIndex'",
      'DROP TABLE IF EXISTS a',
      'ALTER TABLE a ADD IF NOT EXISTS y int',
      'ALTER TABLE a DROP IF EXISTS y',
      "ALTER TABLE a WITH comment = 'x'",
    ]) {
      expect(() => assertIdempotent(ok, 'f')).not.toThrow();
    }
  });

  it('parses a file into its version, checksum and statements', () => {
    const text =
      '-- why\nCREATE TABLE IF NOT EXISTS a (x int PRIMARY KEY);\nCREATE TABLE IF NOT EXISTS b (y int PRIMARY KEY);\n';
    expect(parseMigration('007_two_tables.cql', text)).toEqual({
      version: 7,
      file: '007_two_tables.cql',
      checksum: migrationChecksum(text),
      statements: [
        'CREATE TABLE IF NOT EXISTS a (x int PRIMARY KEY)',
        'CREATE TABLE IF NOT EXISTS b (y int PRIMARY KEY)',
      ],
    });
    expect(() => parseMigration('008_empty.cql', '-- nothing yet\n')).toThrow(/no statements/);
  });
});

describe('loadMigrations', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const folder = (files: Record<string, string>) => {
    dir = mkdtempSync(join(tmpdir(), 'adclick-migrations-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };

  it('orders by version, not by directory listing, and skips non-.cql files', () => {
    const d = folder({
      '020_batch.cql': 'CREATE TABLE IF NOT EXISTS c (x int PRIMARY KEY);',
      '003_core.cql': 'CREATE TABLE IF NOT EXISTS a (x int PRIMARY KEY);',
      '010_speed.cql': 'CREATE TABLE IF NOT EXISTS b (x int PRIMARY KEY);',
      'README.md': '# not a migration',
    });
    expect(loadMigrations(d).map((m) => m.file)).toEqual(['003_core.cql', '010_speed.cql', '020_batch.cql']);
  });

  it('refuses two files with one version', () => {
    const d = folder({
      '010_speed.cql': 'CREATE TABLE IF NOT EXISTS b (x int PRIMARY KEY);',
      '010_other.cql': 'CREATE TABLE IF NOT EXISTS c (x int PRIMARY KEY);',
    });
    expect(() => loadMigrations(d)).toThrow(/share version 10/);
  });

  it('loads the checked-in migrations, starting with 001_views.cql and its tables', () => {
    const migrations = loadMigrations();
    expect(migrations[0]?.file).toBe('001_views.cql');
    const tables = migrations[0]!.statements.map((s) => /CREATE TABLE IF NOT EXISTS (\w+)/.exec(s)?.[1]);
    expect(tables).toEqual([
      'speed_minute_counts',
      'speed_slice_minute_counts',
      'speed_top_ads',
      'batch_hours',
      'batch_minute_counts',
      'batch_slice_minute_counts',
      'batch_top_ads',
      'batch_watermark',
    ]);
    for (const m of migrations) expect(m.version).toBeGreaterThan(0);
  });
});
