import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatStatus, status, up } from '../../infra/commands.ts';
import { parseOptions } from '../args.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import type { CliCommand } from '../types.ts';
import { infraContext } from './up.ts';

const here = dirname(fileURLToPath(import.meta.url));
const mainScript = join(here, '..', 'main.ts');

/** The layers `start` runs, in start order, with the arguments each gets. */
const LAYERS: Array<{ name: string; args: string[] }> = [
  { name: 'collector', args: [] },
  { name: 'speed', args: [] },
  { name: 'archive', args: [] },
  { name: 'batch', args: [] },
  { name: 'serve', args: [] },
  { name: 'generate', args: ['--rate', '200'] },
];

export const command: CliCommand = {
  name: 'start',
  summary: 'Run everything: local infrastructure, then every layer as supervised processes (`npm start`)',
  help: `Usage: adclick start [--no-generator] [--infra-only]

Brings up the local infrastructure (as \`adclick up\`), then runs the collector, the speed layer,
the archiver, the batch scheduler and workers, the query API with the dashboard, and a synthetic
click generator at a modest rate, each as its own process. A process that crashes is restarted
(with a growing delay) and the restart is logged. Ctrl-C stops every process cleanly; the
infrastructure keeps running (\`adclick down\` stops it).

Options:
  --no-generator   do not run the synthetic generator
  --infra-only     only bring up the infrastructure and print its status
  -h, --help       this text`,
  async run(ctx) {
    const opts = parseOptions('start', ctx.argv, {
      'no-generator': { type: 'boolean' },
      'infra-only': { type: 'boolean' },
    });
    const infra = infraContext(ctx);
    await up(infra);
    const rows = await status(infra);
    console.log(formatStatus(rows));
    if (!rows.every((r) => r.healthy)) return 1;
    if (opts['infra-only']) return 0;

    const available = new Set(readdirSync(here).map((f) => f.replace(/\.ts$/, '')));
    const layers = LAYERS.filter(
      (l) => available.has(l.name) && !(l.name === 'generate' && opts['no-generator']),
    );
    const supervisor = new Supervisor(
      (event) => {
        const detail =
          event.type === 'restarting' ? ` in ${event.delayMs} ms` : event.pid ? ` (pid ${event.pid})` : '';
        const exit = event.type === 'exited' ? ` with ${event.signal ?? `code ${event.code}`}` : '';
        console.log(`[start] ${event.name} ${event.type}${exit}${detail}`);
      },
      { output: (name, line) => console.log(`${name.padEnd(9)}| ${line}`) },
    );
    for (const layer of layers) {
      supervisor.add({
        name: layer.name,
        command: process.execPath,
        args: ['--import', 'tsx', mainScript, layer.name, ...layer.args],
      });
    }
    const config = ctx.config();
    console.log(
      `\nRunning: ${layers.map((l) => l.name).join(', ')}\n` +
        `Dashboard and query API: http://${config.bindHost}:${config.ports.api}/\n` +
        `Collector: POST http://${config.bindHost}:${config.ports.collector}/v1/clicks\n` +
        'Ctrl-C stops every layer; `npm run down` stops the infrastructure.\n',
    );
    await new Promise<void>((resolve) =>
      ctx.stopSignal.addEventListener('abort', () => resolve(), { once: true }),
    );
    console.log('[start] stopping…');
    await supervisor.stop();
    return 0;
  },
};
