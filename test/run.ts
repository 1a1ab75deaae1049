/**
 * `npm test`: brings up the local services the tests need (unless they already run), runs every
 * vitest project, stops what it started, and ends with `N passed, M failed` derived from vitest's
 * JSON report (file-level failures, such as a module that does not load, count as failed).
 *
 *   npm test                      all tests (unit, integration, e2e, faults)
 *   npm test -- --unit            unit tests only; no services are started
 *   npm test -- --keep-up         leave the services running afterwards
 *   npm test -- <vitest args>     anything else goes to vitest (e.g. a file filter)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { down, formatStatus, status, up } from '../infra/commands.ts';
import type { InfraContext } from '../infra/types.ts';
import { loadConfig } from '../shared/config/config.ts';
import { createLogger } from '../shared/logger/logger.ts';

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{
    name: string;
    status: string;
    message?: string;
    assertionResults: Array<{ status: string }>;
  }>;
}

async function main(): Promise<number> {
  try {
    process.loadEnvFile();
  } catch {
    // no .env file
  }
  // See cli/main.ts: the pinned AWS SDK supports Node 20; its future-version warning is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit');
  const keepUp = args.includes('--keep-up');
  const vitestArgs = args.filter((a) => a !== '--unit' && a !== '--keep-up');

  const config = loadConfig(process.env);
  const ctx: InfraContext = { config, logger: createLogger({ level: 'warn' }), home: config.home };
  let started: string[] = [];
  if (!unitOnly) {
    const before = await status(ctx);
    started = before.filter((r) => !r.healthy && r.managed === 'local').map((r) => r.name);
    if (started.length > 0) {
      console.log(`Starting local services for the tests: ${started.join(', ')}`);
      await up(ctx, { services: started });
    }
    console.log(formatStatus(await status(ctx)));
  }

  const outDir = join(process.cwd(), 'test-results');
  mkdirSync(outDir, { recursive: true });
  const reportFile = join(outDir, 'vitest.json');
  rmSync(reportFile, { force: true });
  const projects = unitOnly ? ['--project', 'unit'] : [];
  const run = spawnSync(
    process.execPath,
    [
      join('node_modules', 'vitest', 'vitest.mjs'),
      'run',
      ...projects,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${reportFile}`,
      ...vitestArgs,
    ],
    { stdio: 'inherit', env: process.env },
  );

  if (started.length > 0 && !keepUp) {
    console.log(`Stopping the services the tests started: ${started.join(', ')}`);
    await down(ctx, { services: started });
  }

  let passed = 0;
  let failed = 0;
  try {
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as VitestJson;
    passed = report.numPassedTests;
    failed = report.numFailedTests;
    for (const file of report.testResults) {
      const failedInside = file.assertionResults.some((a) => a.status === 'failed');
      if (file.status === 'failed' && !failedInside) {
        failed++;
        console.log(
          `FAILED (file did not run): ${file.name}${file.message ? `\n  ${file.message.split('\n')[0]}` : ''}`,
        );
      }
    }
  } catch (error) {
    console.log(`No vitest JSON report (${(error as Error).message}); vitest exited with ${run.status}`);
    failed = Math.max(failed, 1);
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 && run.status === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
