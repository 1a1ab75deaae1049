import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchRuntime } from '../../../batch-layer/runtime.ts';
import type { BatchViewStore } from '../../../shared/aggregate-store/types.ts';
import { HOUR_MS } from '../../../shared/aggregation/time.ts';
import {
  archiveAndRecompute,
  type BatchFixture,
  batchFixture,
  batchRuntime,
  exited,
  expectBatchViewMatches,
  hoursOf,
  openBatchView,
  recountOf,
  startCli,
  testStream,
  viewSnapshot,
} from './batch-fixture.ts';

describe('adclick replay', () => {
  let f: BatchFixture;
  let runtime: BatchRuntime;
  let view: BatchViewStore;

  beforeAll(async () => {
    f = await batchFixture('replay');
    runtime = batchRuntime(f);
    await runtime.start();
    view = await openBatchView(f);
  });
  afterAll(async () => {
    await view?.close();
    await runtime?.close();
    await f?.cleanup();
  });

  async function replay(
    from: number,
    to: number,
  ): Promise<{ code: number | null; output: string; ms: number }> {
    const output: string[] = [];
    const started = Date.now();
    const child = startCli(
      f,
      [
        'replay',
        '--from',
        new Date(from).toISOString(),
        '--to',
        new Date(to).toISOString(),
        '--lake-root',
        f.lakeRoot,
        '--timeout-ms',
        '100000',
      ],
      output,
    );
    const code = await exited(child);
    return { code, output: output.join(''), ms: Date.now() - started };
  }

  it('restores damaged hours of the batch view, and a second replay changes nothing', async () => {
    const records = testStream(83, 3000);
    const recount = recountOf(records);
    const hours = await archiveAndRecompute(f, runtime, view, records);
    expect(hours).toEqual(hoursOf(recount));
    await expectBatchViewMatches(view, records, recount, f.config);

    // Damage 1: overwrite rows of the first hour's published version in place.
    const [first, second] = hours as [number, number];
    const published = await view.publishedHours(first, first + HOUR_MS);
    const version = published[0]!.version;
    const cell = [...recount.cells.keys()].map((k) => k.split('|')).find(([, , m]) => Number(m) < second)!;
    await f.keyspace.client.execute(
      'UPDATE batch_minute_counts SET count = 999999 WHERE ad_id = ? AND slice = ? AND hour = ? AND version = ? AND minute = ?',
      [cell[0], cell[1], new Date(first), version, new Date(Number(cell[2]))],
      { prepare: true },
    );
    // Damage 2: publish a bogus version of the second hour (no rows under it: the hour reads empty).
    await view.publishHour(second, Date.now() + 10 * 86_400_000, 1);
    const damaged = await viewSnapshot(view, records, recount, f.config);
    await expect(expectBatchViewMatches(view, records, recount, f.config)).rejects.toThrow();

    const from = hours[0]!;
    const to = hours.at(-1)! + HOUR_MS;
    const firstRun = await replay(from, to);
    expect(firstRun.code, firstRun.output).toBe(0);
    expect(firstRun.output).toContain(`replayed ${hours.length}/${hours.length} hours`);
    const checked = await expectBatchViewMatches(view, records, recount, f.config);
    const restored = await viewSnapshot(view, records, recount, f.config);
    expect(restored).not.toBe(damaged);
    const versionsAfterFirst = await view.publishedHours(from, to);

    const secondRun = await replay(from, to);
    expect(secondRun.code, secondRun.output).toBe(0);
    expect(await viewSnapshot(view, records, recount, f.config)).toBe(restored);
    const versionsAfterSecond = await view.publishedHours(from, to);
    // New versions were published (the replay really ran), with the very same content.
    for (const [i, h] of versionsAfterSecond.entries()) {
      expect(h.version).toBeGreaterThan(versionsAfterFirst[i]!.version);
      expect(h.clicks).toBe(versionsAfterFirst[i]!.clicks);
    }
    console.log(
      `replay: ${hours.length} hours, ${recount.total} clicks restored in ${firstRun.ms} ms (CLI process, incl. start-up), ` +
        `again in ${secondRun.ms} ms; ${checked.cells} cells and ${checked.topLists} top lists equal the recount`,
    );
  });
});
