/** Raw HTTP/1.1 over a socket, for requests `fetch` will not send: stalled, trickled, half-written. */
import { connect, type Socket } from 'node:net';

/** Opens a connection to `url`'s host and port and resolves once it is connected. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes and resolves once the bytes are handed to the kernel. */
export function write(socket: Socket, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
}

/** Everything the server sends until it closes the connection (or `timeoutMs` passes: `null`). */
export function readUntilClosed(socket: Socket, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(null), timeoutMs);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.once('error', () => undefined);
  });
}

/**
 * A POST whose headers promise `declaredBytes` of body but only `sentBytes` of it ever arrive —
 * a client that stalls mid-body. The socket is left open.
 */
export async function stalledPost(
  url: string,
  path: string,
  declaredBytes: number,
  sentBytes: number,
): Promise<Socket> {
  const socket = await openSocket(url);
  const { host } = new URL(url);
  await write(
    socket,
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${declaredBytes}\r\n\r\n${'['.repeat(sentBytes)}`,
  );
  return socket;
}

/** A request whose header section never ends (the slowloris pattern). */
export async function stalledHeaders(url: string, path: string): Promise<Socket> {
  const socket = await openSocket(url);
  const { host } = new URL(url);
  await write(socket, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nX-Slow: 1\r\n`);
  return socket;
}

/** The status code of a raw HTTP answer (`HTTP/1.1 408 …` → 408), or null. */
export function statusOf(answer: string | null): number | null {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(answer ?? '');
  return match ? Number(match[1]) : null;
}
