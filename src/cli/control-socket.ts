/**
 * The control socket of a running client, next to its pid file (`<pidfile>.ctl`): a Unix stream socket, mode
 * 0600 (root's), that answers one request line, `status`, with the tunnel's status as one JSON line
 * (src/session/status.ts). `vpnc --status` is its client. Removed when the client ends.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { VpncError } from '../errors.js';
import type { TunnelStatus } from '../session/status.js';

export function controlPathFor(pidFile: string): string {
  return `${pidFile}.ctl`;
}

/** Longest request line accepted. */
const MAX_REQUEST = 64;

export interface ControlServer {
  close(): void;
}

/** Serves `status` requests at `path` (a stale socket left by a killed client is replaced). */
export function serveControl(path: string, status: () => TunnelStatus | undefined, onError: (message: string) => void): ControlServer {
  rmSync(path, { force: true });
  const server: Server = createServer((sock) => {
    let request = '';
    sock.setEncoding('utf8');
    sock.setTimeout(5000, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: string) => {
      request += chunk;
      const nl = request.indexOf('\n');
      if (nl < 0) {
        if (request.length > MAX_REQUEST) sock.end('{"error":"request too long"}\n');
        return;
      }
      const line = request.slice(0, nl).trim();
      if (line !== 'status') {
        sock.end(`${JSON.stringify({ error: `unknown request ${JSON.stringify(line.slice(0, MAX_REQUEST))}` })}\n`);
        return;
      }
      const s = status();
      sock.end(`${JSON.stringify(s ?? { error: 'the tunnel is not up yet' })}\n`);
    });
  });
  server.on('error', (err) => onError(`control socket ${path}: ${err.message}`));
  server.listen(path, () => {
    try {
      chmodSync(path, 0o600);
    } catch (err) {
      onError(`control socket ${path}: ${(err as Error).message}`);
    }
  });
  server.unref();
  return {
    close: () => {
      server.close();
      rmSync(path, { force: true });
    },
  };
}

/** Asks the client behind `path` for its status. Throws VpncError VPNC_ERR_CONTROL with what went wrong. */
export function requestStatus(path: string, timeoutMs = 5000): Promise<TunnelStatus> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new VpncError('VPNC_ERR_CONTROL', `${path}: ${why}`));
    const sock = createConnection(path);
    let reply = '';
    sock.setEncoding('utf8');
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      fail('no answer from the client');
    });
    sock.on('connect', () => sock.write('status\n'));
    sock.on('data', (chunk: string) => (reply += chunk));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') fail('no running client here (is the tunnel up, and is this its pid file?)');
      else if (err.code === 'EACCES') fail('permission denied (the control socket is root\'s)');
      else fail(err.message);
    });
    sock.on('end', () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(reply);
      } catch {
        fail('the client\'s answer is not JSON');
        return;
      }
      const o = parsed as { error?: unknown; version?: unknown };
      if (typeof o.error === 'string') fail(o.error);
      else if (o.version !== 1) fail('the client\'s answer is not a status of version 1');
      else resolve(parsed as TunnelStatus);
    });
  });
}
