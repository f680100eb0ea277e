// A local HTTP server on 127.0.0.1 (a random port) that serves fixture files the ways real servers
// and networks misbehave: without Range support, dropping the connection midway, stalling, redirecting.
// No test that uses it reaches the internet.
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface Route {
  body?: Buffer;
  /** Answers Range requests with 206 (default true); false: always the whole file with 200. */
  ranges?: boolean;
  /** The next `times` answers end the connection after `bytes` bytes of the body. */
  drop?: { bytes: number; times: number };
  /** Sends this many bytes of the body, then nothing more (the connection stays open). */
  stallAfter?: number;
  /** Answers 302 with this Location. */
  redirect?: string;
  /** Claims this Content-Length (with the real body) on a 200. */
  claimedLength?: number;
}

export interface Served {
  path: string;
  range?: string;
  status: number;
}

export class FileServer {
  readonly routes = new Map<string, Route>();
  readonly served: Served[] = [];
  private readonly server = http.createServer((req, res) => this.answer(req, res));
  private readonly sockets = new Set<import('net').Socket>();

  /** Starts listening; resolves with the base URL (http://127.0.0.1:PORT). */
  async start(): Promise<string> {
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The requests for `path` so far. */
  requestsFor(path: string): Served[] {
    return this.served.filter((s) => s.path === path);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy(); // stalled answers would keep close() waiting
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = this.routes.get(path);
    const log = (status: number) => this.served.push({ path, range: req.headers.range, status });
    if (!route) {
      log(404);
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not here\n');
      return;
    }
    if (route.redirect !== undefined) {
      log(302);
      res.writeHead(302, { Location: route.redirect }).end();
      return;
    }
    const body = route.body ?? Buffer.alloc(0);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = route.ranges !== false && range ? Number(range[1]) : 0;
    if (start > body.length) {
      log(416);
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
      return;
    }
    const part = body.subarray(start);
    if (start > 0) {
      log(206);
      res.writeHead(206, { 'Content-Length': part.length, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else {
      log(200);
      res.writeHead(200, { 'Content-Length': route.claimedLength ?? body.length });
    }
    if (route.drop && route.drop.times > 0) {
      route.drop.times -= 1;
      res.write(part.subarray(0, route.drop.bytes), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (route.stallAfter !== undefined) {
      res.write(part.subarray(0, route.stallAfter));
      return;
    }
    res.end(part);
  }
}
