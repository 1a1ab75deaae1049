import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchRuntime } from '../../../batch-layer/runtime.ts';
import { waitFor } from '../../../shared/async/wait-for.ts';
import { closedPort } from '../../helpers/ports.ts';
import {
  archiveAll,
  type BatchFixture,
  batchFixture,
  batchRuntime,
  exited,
  expectBatchViewMatches,
  openBatchView,
  recountOf,
  startCli,
  testStream,
} from './batch-fixture.ts';

describe('adclick batch nightly job', () => {
  let f: BatchFixture;
  let runtime: BatchRuntime;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    f = await batchFixture('nightly');
    runtime = batchRuntime(f);
    await runtime.start();
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    if (child !== undefined) await exited(child);
    await runtime?.close();
    await f?.cleanup();
  });

  it('recomputes the whole day, then reconciles it through the serving layer; /metrics shows it', async () => {
    const records = testStream(113, 3000);
    const recount = recountOf(records);
    await archiveAll(f, runtime, records);
    const output: string[] = [];
    const port = await closedPort();
    child = startCli(
      f,
      ['batch', '--queues', 'nightly', '--lake-root', f.lakeRoot, '--metrics-port', String(port)],
      output,
    );
    const jobId = await runtime.queues.enqueueDay('2026-01-01');
    let result: Record<string, unknown> | undefined;
    await waitFor(
      async () => {
        const [s] = await runtime.queues.jobStates('nightly', [jobId]);
        if (s?.state === 'failed') throw new Error(`nightly job failed: ${s.reason}`);
        result = s?.result as Record<string, unknown> | undefined;
        return s?.state === 'completed';
      },
      { timeoutMs: 100_000, description: `the nightly job; output: ${output.join('').slice(-2000)}` },
    );
    // The speed layer never ran on this keyspace, so the reconciliation finds every batch cell missing there.
    expect(result).toEqual({ date: '2026-01-01', clicks: recount.total, reconciliation: 'mismatch' });
    const report = await f.keyspace.client.execute('SELECT * FROM reconciliation_reports', [], {
      prepare: false,
    });
    expect(report.rows.length).toBeGreaterThan(0);
    // The full mismatch list goes to the bucket's shared reports/ prefix (no lake root there).
    for (const row of report.rows) {
      const key = (JSON.parse(String(row.report)) as { fullListKey?: string | null }).fullListKey;
      if (typeof key === 'string') await f.objects.delete(key);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/adclick_batch_job_duration_seconds_count\{[^}]*queue="nightly"[^}]*\} 1/);
    expect(metrics).toMatch(/adclick_batch_clicks_recomputed_total\{[^}]*component="batch"[^}]*\}/);
    const view = await openBatchView(f);
    try {
      await expectBatchViewMatches(view, records, recount, f.config);
      expect((await view.publishedHours(Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 2))).length).toBe(24);
    } finally {
      await view.close();
    }
  });
});
