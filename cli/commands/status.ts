import { formatStatus, status } from '../../infra/commands.ts';
import { parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';
import { infraContext } from './up.ts';

export const command: CliCommand = {
  name: 'status',
  summary: 'Show each service, its address, whether adclick manages it, and its health',
  help: `Usage: adclick status [--json]

Health-checks every service for real (Kafka metadata, a CQL query, S3 ListBuckets, Redis PING),
local or external. Exit code 0 when all are healthy, 1 otherwise.

Options:
  --json       print the rows as JSON
  -h, --help   this text`,
  async run(ctx) {
    const opts = parseOptions('status', ctx.argv, { json: { type: 'boolean' } });
    const rows = await status(infraContext(ctx));
    console.log(opts.json ? JSON.stringify(rows, null, 2) : formatStatus(rows));
    return rows.every((r) => r.healthy) ? 0 : 1;
  },
};
