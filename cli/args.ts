import { parseArgs } from 'node:util';
import { AdclickError, ErrorCodes } from '../shared/errors/errors.ts';

type OptionSpec = {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean;
};

/**
 * Parses a command's options with node's `parseArgs`, turning its errors into one-line messages
 * that name the option and point at `--help`.
 */
export function parseOptions<const O extends Record<string, OptionSpec>>(
  command: string,
  argv: string[],
  options: O,
) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new AdclickError(
      ErrorCodes.INVALID_INPUT,
      `${(error as Error).message}. See \`adclick ${command} --help\`.`,
    );
  }
}

/** Reads a whole-number option, with a message naming it when it is not one. */
export function intOption(
  command: string,
  name: string,
  value: string | undefined,
  fallback: number,
  min = 0,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new AdclickError(
      ErrorCodes.INVALID_INPUT,
      `--${name} must be a whole number ≥ ${min}, got "${value}". See \`adclick ${command} --help\`.`,
    );
  }
  return n;
}
