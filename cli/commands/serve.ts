import { createServingLayer } from '../../serving-layer/serving-layer.ts';
import { openServingStores } from '../../serving-layer/serving-stores.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CliCommand } from '../types.ts';

export const command: CliCommand = {
  name: 'serve',
  summary: 'Run the serving layer: the query API (merged batch + speed views) and the dashboard',
  help: `Usage: adclick serve [--port N] [--host H]

Serves, until SIGINT/SIGTERM:
  GET /v1/ads/{ad_id}/aggregated_count?from=&to=&filter=
  GET /v1/ads/{ad_id}/aggregated_count/series?from=&to=&filter=
  GET /v1/ads/popular_ads?count=N&window=M&filter=&end=
  GET /v1/reconciliation?date=YYYY-MM-DD          (admin tokens only when API_TOKENS is set)
  GET /v1/pipeline                                 (figures for the dashboard)
  GET /healthz  /readyz  /metrics  /openapi.json
  GET /                                            the dashboard
Minutes before the batch watermark are answered from the batch view, later minutes from the
speed view; every answer says which in its "source" field.

Access: with API_TOKENS unset the API is open (and says so at start-up); set
API_TOKENS="secret1=admin,secret2=adv1-|adv2-" to require "Authorization: Bearer <token>".

Freshness: reads of the speed view's open minutes, and popular_ads answers over windows still
open, are shared by concurrent requests and reused for at most the live cache budget in all, so
a click shows up that much later than a live read would (the speed layer rewrites open minutes
about once a second; the freshness target is 2 s). 0 reads at every request.

Options:
  --port N              listen port (default API_PORT, 8080)
  --host H              listen address (default 127.0.0.1)
  --live-cache-ms N     freshness budget, 0 to 2000 (default API_LIVE_CACHE_MS, 250)
  -h, --help            this text`,
  async run(ctx) {
    const o = parseOptions('serve', ctx.argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      'live-cache-ms': { type: 'string' },
    });
    const base = ctx.config();
    const config = {
      ...base,
      bindHost: o.host ?? base.bindHost,
      ports: { ...base.ports, api: intOption('serve', 'port', o.port, base.ports.api) },
      serving: {
        ...base.serving,
        liveCacheMs: intOption('serve', 'live-cache-ms', o['live-cache-ms'], base.serving.liveCacheMs),
      },
    };
    if (config.serving.liveCacheMs > 2000)
      throw new AdclickError(
        ErrorCodes.INVALID_INPUT,
        `--live-cache-ms must be at most 2000 (the freshness target is 2 s), got ${config.serving.liveCacheMs}. See \`adclick serve --help\`.`,
      );
    const logger = ctx.logger();
    const stores = await openServingStores(config, logger);
    const server = createServingLayer(config, stores, logger);
    try {
      await server.start();
      console.log(`query API and dashboard: ${server.url}/  (OpenAPI: ${server.url}/openapi.json)`);
      await new Promise<void>((resolve) => {
        if (ctx.stopSignal.aborted) resolve();
        else ctx.stopSignal.addEventListener('abort', () => resolve(), { once: true });
      });
      return 0;
    } finally {
      await server.close();
      await stores.close();
    }
  },
};
