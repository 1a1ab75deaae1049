import { formatStatus, status, up } from '../../infra/commands.ts';
import type { CliCommand } from '../types.ts';
import { infraContext } from './up.ts';

export const command: CliCommand = {
  name: 'start',
  summary: 'Bring up the local infrastructure and print its status (`npm start`)',
  help: `Usage: adclick start

Runs \`adclick up\` (install once, start, wait until healthy, provision topics, keyspace and
bucket) and prints each service with its address and health.

Options:
  -h, --help   this text`,
  async run(ctx) {
    const infra = infraContext(ctx);
    await up(infra);
    const rows = await status(infra);
    console.log(formatStatus(rows));
    console.log(
      '\nStop the services with `npm run down` (data stays under $ADCLICK_HOME, default .adclick/).',
    );
    return rows.every((r) => r.healthy) ? 0 : 1;
  },
};
