/**
 * Each service stopped and started again while a stream flows: Redis, the S3 store, Kafka and
 * Cassandra in turn. The processes wait, retry and catch up; after each, the API equals the
 * recount of every valid click sent so far and the reconciliation explains every difference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, hourOf } from '../../shared/aggregation/time.ts';
import { sleep, waitFor } from '../../shared/async/wait-for.ts';
import { PIPELINE_PARTITIONS, type Pipeline, startPipeline } from '../helpers/pipeline.ts';
import { expectApiEquals, expectExplained, reconcile, replay, scopeOf } from '../helpers/pipeline-checks.ts';
import { flow } from '../helpers/pipeline-flow.ts';
import { type ServiceName, startService, stopService } from '../helpers/pipeline-services.ts';
import { recountAll } from '../helpers/recount.ts';
import { recountInputs, testStream } from '../helpers/test-stream.ts';

const SERVICES: ServiceName[] = ['redis', 's3', 'kafka', 'cassandra'];
const SEGMENT = 1500;
/** How long a service stays down while the stream goes on. */
const OUTAGE_MS = 8000;

describe('services stopped and restarted mid-stream', () => {
  let p: Pipeline;
  const startMs = hourOf(Date.now()) - 4 * HOUR_MS + 20 * 60_000;
  const records = testStream({
    seed: 83,
    clicks: SEGMENT * SERVICES.length,
    startMs,
    partitions: PIPELINE_PARTITIONS,
  });
  const perSegment = Math.ceil(records.length / SERVICES.length);
  let sent = 0;

  beforeAll(async () => {
    p = await startPipeline('restarts');
  });
  afterAll(async () => {
    await p?.cleanup();
    // Whatever happened, leave every service running for the next test file.
    for (const s of SERVICES) await startService(s);
  });

  for (const service of SERVICES) {
    it(`${service}: stopped, restarted, exact`, async () => {
      const part = records.slice(sent, sent + perSegment);
      const f = flow(p, part);
      await waitFor(() => f.sent() >= part.length / 3, {
        timeoutMs: 120_000,
        description: 'a third of the segment',
      });
      await stopService(service);
      try {
        await sleep(OUTAGE_MS);
      } finally {
        await startService(service);
        f.release();
        await f.done;
        sent += part.length;
      }
      const so = records.slice(0, sent);
      const all = recountAll(recountInputs(so));
      await p.waitCaughtUp(300_000);
      await replay(p, all);
      await expectApiEquals(p, all, scopeOf(so, all, 3), `after the ${service} restart`, 180_000);
      expectExplained(await reconcile(p, all), all);
      expect(p.unexpectedExits(), 'every process waited and retried instead of dying').toEqual([]);
    });
  }
});
