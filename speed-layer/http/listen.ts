import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';

/** A listening HTTP server. */
export interface Listening {
  /** The port listened on (the real one when 0 was asked for). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves a Hono app on host:port.
 *
 * @throws AdclickError `UNAVAILABLE` naming the address when it cannot listen (e.g. port busy).
 */
export async function listen(app: Hono, host: string, port: number): Promise<Listening> {
  let server: ServerType | undefined;
  const actual = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port, hostname: host }, (info) => resolve((info as AddressInfo).port));
    server.once('error', (error: Error) =>
      reject(
        new AdclickError(ErrorCodes.UNAVAILABLE, `cannot listen on ${host}:${port}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
  });
  return {
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        if (server === undefined) return resolve();
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
