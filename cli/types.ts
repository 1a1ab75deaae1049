import type { AdclickConfig } from '../shared/config/types.ts';
import type { Logger } from '../shared/logger/logger.ts';

/** What a command receives from the dispatcher. */
export interface CommandContext {
  /** Arguments after the command name. */
  argv: string[];
  /** Loaded lazily: `up --help` must work even with a broken config. */
  config(): AdclickConfig;
  logger(): Logger;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); long-running commands await it. */
  stopSignal: AbortSignal;
}

/**
 * One `adclick <name>` command. Each lives in `cli/commands/<name>.ts` and exports `command`;
 * the dispatcher discovers them, so adding a command touches no shared registry.
 */
export interface CliCommand {
  name: string;
  /** One line for `adclick --help`. */
  summary: string;
  /** Full `adclick <name> --help` text: usage, every option with its default, examples. */
  help: string;
  /** Returns the process exit code. */
  run(ctx: CommandContext): Promise<number>;
}
