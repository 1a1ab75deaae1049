import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { Logger } from '../../shared/logger/logger.ts';

/** The checked-in pom whose dependencies are the node's classpath. */
export const POM_PATH = join(dirname(fileURLToPath(import.meta.url)), 'pom.xml');

/**
 * Written last into the lib folder with the pom's hash, so an interrupted download is redone
 * rather than trusted, and a version bump in the pom triggers a fresh download.
 */
const COMPLETE_MARKER = '.complete';

function pomHash(): string {
  return createHash('sha256').update(readFileSync(POM_PATH)).digest('hex');
}

const EXTERNAL_HINT = 'or set CASSANDRA_CONTACT_POINTS to use a Cassandra you run yourself';

/** The major version of `java` on the PATH; fails with what to install when missing or older than 17. */
export function requireJava17(): number {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) {
    throw new AdclickError(
      ErrorCodes.INFRA,
      `the local Cassandra needs Java 17 and no \`java\` was found on the PATH: install a JDK 17 ` +
        `(Debian: \`apt-get install openjdk-17-jdk-headless\`) ${EXTERNAL_HINT}`,
    );
  }
  const major = javaMajorVersion(`${result.stderr}${result.stdout}`);
  if (major === undefined || major < 17) {
    throw new AdclickError(
      ErrorCodes.INFRA,
      `the local Cassandra needs Java 17, found ${major ?? 'an unknown version'} (\`java -version\`): install a ` +
        `JDK 17 (Debian: \`apt-get install openjdk-17-jdk-headless\`) and put it first on the PATH, ${EXTERNAL_HINT}`,
    );
  }
  return major;
}

/** Parses `java -version` output: `openjdk version "17.0.15"` → 17, `"1.8.0_412"` → 8. */
export function javaMajorVersion(output: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/** The lib folder holds a complete copy of the current pom's dependencies. */
export function isInstalled(libDir: string): boolean {
  const marker = join(libDir, COMPLETE_MARKER);
  return existsSync(marker) && readFileSync(marker, 'utf8').trim() === pomHash();
}

/**
 * Resolves cassandra-all and its runtime dependencies from Maven Central into `libDir`, once.
 * Copies into a sibling temp folder and renames it, so a half-finished download never looks done.
 */
export function installJars(libDir: string, logger: Logger): void {
  if (isInstalled(libDir)) return;
  const maven = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (maven.error !== undefined || maven.status !== 0) {
    throw new AdclickError(
      ErrorCodes.INFRA,
      `installing the local Cassandra needs Maven (\`mvn\`) to fetch its jars from Maven Central: ` +
        `install it (Debian: \`apt-get install maven\`) ${EXTERNAL_HINT}`,
    );
  }
  const staging = `${libDir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(libDir), { recursive: true });
  logger.info({ pom: POM_PATH, libDir }, 'resolving Cassandra jars from Maven Central');
  const started = Date.now();
  const result = spawnSync(
    'mvn',
    ['-q', '-B', '-f', POM_PATH, 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new AdclickError(
      ErrorCodes.INFRA,
      `Maven could not resolve the Cassandra jars (mvn -f ${POM_PATH} dependency:copy-dependencies):\n${output}`,
    );
  }
  const jars = readdirSync(staging).filter((f) => f.endsWith('.jar'));
  if (!jars.some((j) => j.startsWith('cassandra-all-'))) {
    throw new AdclickError(ErrorCodes.INFRA, `Maven finished but no cassandra-all jar is in ${staging}`);
  }
  writeFileSync(join(staging, COMPLETE_MARKER), `${pomHash()}\n`);
  rmSync(libDir, { recursive: true, force: true });
  renameSync(staging, libDir);
  logger.info({ jars: jars.length, ms: Date.now() - started }, 'Cassandra jars installed');
}

/** The jamm jar (Cassandra's memory-measurement agent) in `libDir`. */
export function jammJar(libDir: string): string {
  const jar = readdirSync(libDir).find((f) => /^jamm-[\d.]+\.jar$/.test(f));
  if (jar === undefined) {
    throw new AdclickError(
      ErrorCodes.INFRA,
      `no jamm jar in ${libDir}; delete that folder and run install again`,
    );
  }
  return join(libDir, jar);
}

/** The cassandra-all version present in `libDir`, e.g. `5.0.9`. */
export function installedVersion(libDir: string): string | undefined {
  const jar = readdirSync(libDir).find((f) => /^cassandra-all-.+\.jar$/.test(f));
  return jar?.slice('cassandra-all-'.length, -'.jar'.length);
}
