import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';

/** The checked-in migrations of the adclick keyspace. */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** One versioned `.cql` file, parsed. */
export interface Migration {
  version: number;
  /** The file name, e.g. `001_views.cql`. */
  file: string;
  /** SHA-256 of the file (line endings normalised): an applied migration must never change. */
  checksum: string;
  statements: string[];
}

const FILE_PATTERN = /^(\d{3})_([a-z0-9][a-z0-9_]*)\.cql$/;

function invalid(message: string): AdclickError {
  return new AdclickError(ErrorCodes.INTERNAL, message);
}

/** The version of a migration file name (`001_views.cql` → 1); other files (README.md) → undefined. */
export function migrationVersion(file: string): number | undefined {
  if (!file.endsWith('.cql')) return undefined;
  const match = FILE_PATTERN.exec(file);
  if (match === null) throw invalid(`migration file "${file}" must be named NNN_lower_snake_name.cql`);
  return Number(match[1]);
}

export function migrationChecksum(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');
}

/**
 * Splits CQL text into statements at `;`, dropping `--`, `//` and `/* *\/` comments, but never
 * inside '…' strings, "…" identifiers or $$…$$ blocks. A last statement may omit its `;`.
 */
export function splitStatements(cql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const flush = () => {
    const statement = current.trim();
    if (statement !== '') statements.push(statement);
    current = '';
  };
  const copyQuoted = (open: string, close: string, what: string) => {
    const end = findClose(cql, i + open.length, close);
    if (end < 0) throw invalid(`unterminated ${what} starting at offset ${i}`);
    current += cql.slice(i, end + close.length);
    i = end + close.length;
  };
  while (i < cql.length) {
    const two = cql.slice(i, i + 2);
    const ch = cql[i]!;
    if (two === '--' || two === '//') {
      const end = cql.indexOf('\n', i);
      i = end < 0 ? cql.length : end;
      current += ' ';
    } else if (two === '/*') {
      const end = cql.indexOf('*/', i + 2);
      if (end < 0) throw invalid(`unterminated /* comment starting at offset ${i}`);
      i = end + 2;
      current += ' ';
    } else if (two === '$$') {
      copyQuoted('$$', '$$', '$$ block');
    } else if (ch === "'") {
      copyQuoted("'", "'", 'string');
    } else if (ch === '"') {
      copyQuoted('"', '"', 'quoted identifier');
    } else if (ch === ';') {
      flush();
      i += 1;
    } else {
      current += ch;
      i += 1;
    }
  }
  flush();
  return statements;
}

/** Index of the closing delimiter; a doubled quote ('' or "") is an escaped one. */
function findClose(text: string, from: number, close: string): number {
  let j = from;
  for (;;) {
    const k = text.indexOf(close, j);
    if (k < 0) return -1;
    if (close.length === 1 && text[k + 1] === close) {
      j = k + 2;
      continue;
    }
    return k;
  }
}

/**
 * Fails unless re-running `statement` after a crash half-way through its migration is harmless:
 * CREATE needs IF NOT EXISTS, DROP needs IF EXISTS, ALTER … ADD/DROP the same; no USE or
 * keyspace DDL (migrations are applied to whichever keyspace the runner is given).
 */
export function assertIdempotent(statement: string, file: string): void {
  const s = statement.toUpperCase();
  const fail = (why: string) => invalid(`${file}: ${why}: ${statement.slice(0, 80)}`);
  if (/^USE\s/.test(s) || /^(CREATE|ALTER|DROP)\s+KEYSPACE\b/.test(s))
    throw fail('keyspace statements are not allowed');
  if (/^CREATE\s/.test(s) && !/^CREATE\s+[\w\s]*?\bIF\s+NOT\s+EXISTS\b/.test(s))
    throw fail('CREATE needs IF NOT EXISTS');
  if (/^DROP\s/.test(s) && !/^DROP\s+\w+\s+IF\s+EXISTS\b/.test(s)) throw fail('DROP needs IF EXISTS');
  if (/^ALTER\s+TABLE\s/.test(s)) {
    if (/\sADD\s/.test(s) && !/\sADD\s+IF\s+NOT\s+EXISTS\s/.test(s))
      throw fail('ALTER TABLE … ADD needs IF NOT EXISTS');
    if (/\sDROP\s/.test(s) && !/\sDROP\s+IF\s+EXISTS\s/.test(s))
      throw fail('ALTER TABLE … DROP needs IF EXISTS');
  }
}

/** Parses one migration file's text. */
export function parseMigration(file: string, text: string): Migration {
  const version = migrationVersion(file);
  if (version === undefined) throw invalid(`"${file}" is not a .cql migration`);
  const statements = splitStatements(text);
  if (statements.length === 0) throw invalid(`migration ${file} has no statements`);
  for (const statement of statements) assertIdempotent(statement, file);
  return { version, file, checksum: migrationChecksum(text), statements };
}

/** Every migration in `dir`, in version order; two files with one version is an error. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => migrationVersion(file) !== undefined)
    .map((file) => parseMigration(file, readFileSync(join(dir, file), 'utf8')))
    .sort((a, b) => a.version - b.version);
  for (let k = 1; k < migrations.length; k++) {
    if (migrations[k]!.version === migrations[k - 1]!.version) {
      throw invalid(
        `migrations ${migrations[k - 1]!.file} and ${migrations[k]!.file} share version ${migrations[k]!.version}`,
      );
    }
  }
  return migrations;
}
