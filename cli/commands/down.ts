import { down } from '../../infra/commands.ts';
import { parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';
import { infraContext } from './up.ts';

export const command: CliCommand = {
  name: 'down',
  summary: 'Stop the local services that `adclick up` started (data stays in place)',
  help: `Usage: adclick down [--only <services>]

Stops exactly the processes \`adclick up\` started (by their pid files under $ADCLICK_HOME/run),
gracefully first. Data under $ADCLICK_HOME/data is kept, so the next \`up\` resumes it.
External clusters are never touched.

Options:
  --only <list>   comma-separated subset of: kafka, cassandra, s3, redis (default: all)
  -h, --help      this text`,
  async run(ctx) {
    const opts = parseOptions('down', ctx.argv, { only: { type: 'string' } });
    await down(infraContext(ctx), { services: opts.only?.split(',').map((s) => s.trim()) });
    return 0;
  },
};
