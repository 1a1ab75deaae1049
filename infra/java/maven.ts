import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { Logger } from '../../shared/logger/logger.ts';

export interface MavenRuntimeSpec {
  /** Service name, for messages and the install log (`<home>/logs/<name>-install.log`). */
  name: string;
  /** The checked-in pom listing the runtime (e.g. `infra/kafka/pom.xml`). */
  pom: string;
  /** Where the jars go (e.g. `<home>/cache/kafka/lib`). */
  libDir: string;
  home: string;
  logger: Logger;
}

const MARKER = '.resolved';

// Maven 3.8 has no locking of its local repository, so two resolutions sharing it must not overlap.
let queue: Promise<unknown> = Promise.resolve();

/** The local Maven repository adclick resolves into, so nothing outside `<home>` is written. */
export function mavenRepo(home: string): string {
  return join(home, 'cache', 'maven');
}

/**
 * Copies the runtime jars of `pom` into `libDir` with `mvn dependency:copy-dependencies`, once:
 * a marker holding the pom's hash makes later calls return at once, and a changed pom (a version
 * bump) resolves again. Jars land in a temporary folder first, so an interrupted download never
 * leaves a half-filled `libDir`.
 */
export async function resolveMavenRuntime(spec: MavenRuntimeSpec): Promise<void> {
  const pomHash = createHash('sha256').update(readFileSync(spec.pom)).digest('hex');
  const marker = join(spec.libDir, MARKER);
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === pomHash) return;
  const task = queue.then(() => resolveNow(spec, pomHash));
  queue = task.catch(() => undefined);
  await task;
}

async function resolveNow(spec: MavenRuntimeSpec, pomHash: string): Promise<void> {
  const started = Date.now();
  const tmp = `${spec.libDir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(spec.libDir), { recursive: true });
  const logFile = join(spec.home, 'logs', `${spec.name}-install.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  spec.logger.info(
    { service: spec.name, pom: spec.pom },
    'resolving jars from Maven Central (first run only)',
  );
  const args = [
    '-B',
    '-q',
    '-f',
    spec.pom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${tmp}`,
    `-Dmaven.repo.local=${mavenRepo(spec.home)}`,
  ];
  await new Promise<string>((resolve, reject) => {
    execFile('mvn', args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const text = `${stdout}${stderr}`;
      writeFileSync(logFile, `$ mvn ${args.join(' ')}\n${text}`);
      if (!error) return resolve(text);
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT'
          ? '`mvn` is not on PATH. Install Maven (Debian: `apt-get install -y maven`).'
          : `mvn failed (see ${logFile}):\n${lastLines(text, 15)}`;
      reject(
        new AdclickError(ErrorCodes.INFRA, `could not download ${spec.name}: ${reason}`, { cause: error }),
      );
    });
  });
  rmSync(spec.libDir, { recursive: true, force: true });
  renameSync(tmp, spec.libDir);
  writeFileSync(join(spec.libDir, MARKER), `${pomHash}\n`);
  spec.logger.info({ service: spec.name, ms: Date.now() - started, log: logFile }, 'jars resolved');
}

/** The last `n` non-empty lines of `text`. */
export function lastLines(text: string, n: number): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join('\n');
}
