import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';

const run = promisify(execFile);

/** The JVM the local Kafka, S3 store and Cassandra need. */
export const MIN_JAVA_MAJOR = 17;

const INSTALL_HINT =
  'Install a JDK 17 or newer (Debian: `apt-get install -y openjdk-17-jdk-headless maven`) and put `java` on PATH.';

/** Reads the feature version out of `java -version` output ("17.0.15" → 17, "1.8.0_292" → 8). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

let checked: Promise<number> | undefined;

/**
 * Fails with a message that says what to install when `java` is missing or older than 17.
 * Checked once per process (several services ask at the same time).
 *
 * @param javaCommand the binary to check; only the default `java` result is cached.
 * @returns the major version found.
 */
export function requireJava(javaCommand = 'java'): Promise<number> {
  if (javaCommand !== 'java') return checkJava(javaCommand);
  checked ??= checkJava(javaCommand);
  // A failed check is retried next time (the user may have fixed PATH in between).
  checked.catch(() => {
    checked = undefined;
  });
  return checked;
}

async function checkJava(javaCommand: string): Promise<number> {
  let output: string;
  try {
    const { stdout, stderr } = await run(javaCommand, ['-version'], { timeout: 30_000 });
    output = `${stderr}${stdout}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AdclickError(
      ErrorCodes.INFRA,
      code === 'ENOENT'
        ? `\`${javaCommand}\` is not on PATH. ${INSTALL_HINT}`
        : `\`${javaCommand} -version\` failed. ${INSTALL_HINT}`,
      { cause: error },
    );
  }
  const major = parseJavaMajor(output);
  if (major === undefined || major < MIN_JAVA_MAJOR) {
    const found = major ?? `an unrecognised version (${output.split('\n')[0]})`;
    throw new AdclickError(
      ErrorCodes.INFRA,
      `Java ${MIN_JAVA_MAJOR}+ is needed, found ${found}. ${INSTALL_HINT}`,
    );
  }
  return major;
}
