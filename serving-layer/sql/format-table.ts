import type { QueryResult } from './duckdb-lake-query.ts';

/** A plain-text table of a result, columns padded, numbers right-aligned, long cells cut. */
export function formatTable(result: QueryResult, maxRows = 1000, maxWidth = 60): string {
  const cell = (v: unknown) => {
    const s = v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
  };
  const rows = result.rows.slice(0, maxRows).map((r) => r.map(cell));
  const numeric = result.columns.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.e+]+$|^NULL$/.test(r[i]!)),
  );
  const widths = result.columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join(' │ ')
      .trimEnd();
  const out = [line(result.columns), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...rows.map(line)];
  const more = result.rows.length - rows.length;
  out.push(
    `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'}${more > 0 ? `, first ${maxRows} shown` : ''})`,
  );
  return out.join('\n');
}
