import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The dashboard page and the files it loads, read once at start-up. */
export interface DashboardAssets {
  index: string;
  files: Map<string, { body: string; type: string }>;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Loads the page, its script and style, and Chart.js from node_modules (no CDN: it must work offline). */
export function loadDashboardAssets(): DashboardAssets {
  const require = createRequire(import.meta.url);
  const chartJs = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  const read = (path: string) => readFileSync(path, 'utf8');
  return {
    index: read(join(here, 'static', 'index.html')),
    files: new Map([
      ['app.js', { body: read(join(here, 'static', 'app.js')), type: 'text/javascript; charset=utf-8' }],
      ['app.css', { body: read(join(here, 'static', 'app.css')), type: 'text/css; charset=utf-8' }],
      ['chart.umd.min.js', { body: read(chartJs), type: 'text/javascript; charset=utf-8' }],
    ]),
  };
}
