import { describe, expect, it } from 'vitest';
import { formatReport } from '../../../../serving-layer/reconciliation/format-report.ts';
import type { ReconciliationReport } from '../../../../serving-layer/reconciliation/types.ts';

const H = Date.UTC(2026, 0, 5, 10);
const base: ReconciliationReport = {
  id: '2026-01-05T10',
  scope: 'hour',
  from: H,
  to: H + 3_600_000,
  status: 'match',
  speedTotal: 10,
  batchTotal: 10,
  cellsCompared: 4,
  cellsMatching: 4,
  cellsMismatching: 0,
  causes: { late_clicks: 0, batch_hour_missing: 0, unexplained: 0 },
  mismatches: [],
  fullListKey: null,
  batchHoursPublished: 1,
  generatedAt: H + 7_200_000,
};

describe('formatReport', () => {
  it('states a match with totals and no cell table', () => {
    const text = formatReport(base);
    expect(text).toContain('2026-01-05T10 (hour, 2026-01-05T10:00:00Z – 2026-01-05T11:00:00Z): MATCH');
    expect(text).toContain('speed 10   batch 10');
    expect(text).not.toContain('causes');
  });

  it('lists causes, the first cells and where the full list is', () => {
    const cell = { adId: 'ad-1', slice: 'all', minute: H, speed: 1, batch: 2, raw: 2, late: 1 };
    const text = formatReport(
      {
        ...base,
        status: 'mismatch',
        batchTotal: 12,
        cellsMatching: 1,
        cellsMismatching: 3,
        causes: { late_clicks: 3, batch_hour_missing: 0, unexplained: 0 },
        mismatches: [1, 2, 3].map(() => ({ ...cell, cause: 'late_clicks' as const })),
        fullListKey: 'reports/reconciliation/hour/2026-01-05T10.jsonl',
      },
      2,
    );
    expect(text).toContain('MISMATCH');
    expect(text).toContain('late_clicks 3   batch_hour_missing 0   unexplained 0');
    expect(text.match(/late_clicks \(late 1 of 2\)/g)).toHaveLength(2);
    expect(text).toContain('… 1 more cell(s)');
    expect(text).toContain('full list: s3 object reports/reconciliation/hour/2026-01-05T10.jsonl');
  });
});
