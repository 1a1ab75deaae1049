import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../shared/config/config.ts';
import type { AdclickConfig } from '../shared/config/types.ts';
import { AdclickError } from '../shared/errors/errors.ts';
import { createLogger, type Logger } from '../shared/logger/logger.ts';
import type { CliCommand, CommandContext } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));

async function loadCommands(): Promise<CliCommand[]> {
  const dir = join(here, 'commands');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const commands: CliCommand[] = [];
  for (const file of files.sort()) {
    const mod = (await import(join(dir, file))) as { command?: CliCommand };
    if (mod.command) commands.push(mod.command);
  }
  return commands;
}

function usage(commands: CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'adclick — ad click event aggregation (Lambda architecture)',
    '',
    'Usage: adclick <command> [options]        adclick <command> --help',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration comes from environment variables (and a .env file if present); see README.md.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  // A .env file is optional (SPEC A7); real environment variables win over it.
  try {
    process.loadEnvFile();
  } catch {
    // no .env file
  }
  // The AWS SDK warns on every start that versions published after early 2027 need Node 22; the
  // lock file pins a version that supports Node 20, so the warning is only noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage(commands));
    return name === undefined ? 1 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    console.error(`adclick: unknown command "${name}"\n\n${usage(commands)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  let config: AdclickConfig | undefined;
  let logger: Logger | undefined;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const ctx: CommandContext = {
    argv: rest,
    config: () => {
      config ??= loadConfig(process.env);
      return config;
    },
    logger: () => {
      logger ??= createLogger({ level: ctx.config().logLevel }).child({ command: name });
      return logger;
    },
    stopSignal: controller.signal,
  };
  return command.run(ctx);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof AdclickError) {
      console.error(`adclick: ${error.message}`);
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  },
);
