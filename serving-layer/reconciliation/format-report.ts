import type { ReconciliationReport } from './types.ts';

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * A reconciliation report as text for a terminal: the verdict first, then totals, cell counts,
 * causes, and the first `maxCells` mismatching cells (largest differences first).
 */
export function formatReport(r: ReconciliationReport, maxCells = 20): string {
  const lines = [
    `reconciliation ${r.id} (${r.scope}, ${iso(r.from)} – ${iso(r.to)}): ${r.status.toUpperCase()}`,
    `  clicks          speed ${r.speedTotal}   batch ${r.batchTotal}   difference ${r.batchTotal - r.speedTotal}`,
    `  cells           compared ${r.cellsCompared}   matching ${r.cellsMatching}   mismatching ${r.cellsMismatching}`,
    `  batch hours     ${r.batchHoursPublished} published`,
  ];
  if (r.cellsMismatching > 0) {
    lines.push(
      `  causes          late_clicks ${r.causes.late_clicks}   batch_hour_missing ${r.causes.batch_hour_missing}   unexplained ${r.causes.unexplained}`,
    );
    const shown = r.mismatches.slice(0, maxCells);
    lines.push(
      '',
      `  ${'minute'.padEnd(20)} ${'ad_id'.padEnd(20)} ${'slice'.padEnd(12)} speed  batch  cause`,
    );
    for (const m of shown) {
      lines.push(
        `  ${iso(m.minute).padEnd(20)} ${m.adId.padEnd(20)} ${m.slice.padEnd(12)} ${String(m.speed).padStart(5)}  ${String(m.batch).padStart(5)}  ${m.cause}${m.late === undefined ? '' : ` (late ${m.late} of ${m.raw})`}`,
      );
    }
    if (r.cellsMismatching > shown.length)
      lines.push(`  … ${r.cellsMismatching - shown.length} more cell(s)`);
    if (r.fullListKey !== null) lines.push(`  full list: s3 object ${r.fullListKey}`);
  }
  lines.push(`  generated ${iso(r.generatedAt)}`);
  return lines.join('\n');
}
