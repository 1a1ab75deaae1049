/**
 * `npm test`: brings up the local services the tests need (unless they already run), runs every
 * vitest project, stops what it started, and ends with `N passed, M failed` derived from vitest's
 * JSON report (file-level failures, such as a module that does not load, count as failed).
 *
 *   npm test                      all tests: unit, integration and e2e, then the fault tests alone
 *   npm test -- --unit            unit tests only; no services are started
 *   npm test -- --unit --faults   unit tests, then the fault tests
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
  const withFaults = args.includes('--faults');
  const vitestArgs = args.filter((a) => a !== '--unit' && a !== '--keep-up' && a !== '--faults');

  const config = loadConfig(process.env);
  const ctx: InfraContext = { config, logger: createLogger({ level: 'warn' }), home: config.home };
  let started: string[] = [];
  if (!unitOnly || withFaults) {
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
  // Phase 1: everything that shares the services; phase 2: the fault tests, which stop and
  // restart them, alone and one file at a time.
  const phases: Array<{ name: string; projects: string[] }> = unitOnly
    ? [{ name: 'unit', projects: ['unit'] }]
    : [{ name: 'main', projects: ['unit', 'integration'] }];
  if (!unitOnly || withFaults) phases.push({ name: 'faults', projects: ['faults'] });
  const results: PhaseResult[] = [];
  for (const phase of phases) {
    const reportFile = join(outDir, `vitest-${phase.name}.json`);
    rmSync(reportFile, { force: true });
    const run = spawnSync(
      process.execPath,
      [
        join('node_modules', 'vitest', 'vitest.mjs'),
        'run',
        ...phase.projects.flatMap((p) => ['--project', p]),
        '--passWithNoTests',
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${reportFile}`,
        ...vitestArgs,
      ],
      { stdio: 'inherit', env: process.env },
    );
    results.push(readPhase(phase.name, reportFile, run.status));
  }

  if (started.length > 0 && !keepUp) {
    console.log(`Stopping the services the tests started: ${started.join(', ')}`);
    await down(ctx, { services: started });
  }

  const passed = results.reduce((s, r) => s + r.passed, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  const ok = results.every((r) => r.exitCode === 0);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 && ok ? 0 : 1;
}

interface PhaseResult {
  passed: number;
  failed: number;
  exitCode: number | null;
}

/**
 * Counts of one vitest run from its JSON report; a file that did not run counts as one failure,
 * and a missing report as one failure.
 */
function readPhase(name: string, reportFile: string, exitCode: number | null): PhaseResult {
  try {
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as VitestJson;
    let failed = report.numFailedTests;
    for (const file of report.testResults) {
      const failedInside = file.assertionResults.some((a) => a.status === 'failed');
      if (file.status === 'failed' && !failedInside) {
        failed++;
        console.log(
          `FAILED (file did not run): ${file.name}${file.message ? `\n  ${file.message.split('\n')[0]}` : ''}`,
        );
      }
    }
    return { passed: report.numPassedTests, failed, exitCode };
  } catch (error) {
    console.log(
      `No vitest JSON report of the ${name} phase (${(error as Error).message}); vitest exited with ${exitCode}`,
    );
    return { passed: 0, failed: 1, exitCode };
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
