import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { Lifecycle } from '../../shared/lifecycle/types.ts';
import { type ApiDeps, createApiApp } from './app.ts';

export interface ApiServerOptions {
  host: string;
  /** 0 picks a free port (tests); read the real one from `port` after `start()`. */
  port: number;
}

/** The query API and dashboard on one HTTP port. */
export class ApiServer implements Lifecycle {
  readonly #deps: ApiDeps;
  readonly #options: ApiServerOptions;
  #server: ServerType | undefined;
  #port = 0;

  constructor(deps: ApiDeps, options: ApiServerOptions) {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw new AdclickError(ErrorCodes.CONFIG_INVALID, `api.port must be 0–65535, got ${options.port}`);
    }
    this.#deps = deps;
    this.#options = options;
  }

  /** The port listened on (after `start()`). */
  get port(): number {
    return this.#port;
  }

  get url(): string {
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    return `http://${host}:${this.#port}`;
  }

  async start(): Promise<void> {
    if (this.#server !== undefined) return;
    const app = createApiApp(this.#deps);
    await new Promise<void>((resolve, reject) => {
      const server = serve(
        { fetch: app.fetch, port: this.#options.port, hostname: this.#options.host },
        (info) => {
          this.#port = (info as AddressInfo).port;
          resolve();
        },
      );
      server.once('error', (error: Error) =>
        reject(
          new AdclickError(
            ErrorCodes.UNAVAILABLE,
            `cannot listen on ${this.#options.host}:${this.#options.port}: ${error.message}`,
            {
              cause: error,
            },
          ),
        ),
      );
      this.#server = server;
    });
    if (this.#deps.access.open) {
      this.#deps.logger.warn(
        { url: this.url },
        'no API_TOKENS configured: the query API and dashboard are open to anyone who can reach this address',
      );
    }
    this.#deps.logger.info({ url: this.url }, 'query API listening');
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Keep-alive connections (the dashboard polls) would hold close() open otherwise.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  }

  isReady(): boolean {
    return this.#server !== undefined;
  }
}
