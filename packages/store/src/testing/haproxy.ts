import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

/**
 * HAProxy (Debian's package) in front of several Berth processes: the scaled-out shape the
 * README describes, for end-to-end tests. Every request is balanced on its own (round robin),
 * so consecutive requests of one client land on different processes; a process that stops
 * answering its health check is taken out within a second.
 */
export interface Balancer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** HAProxy's process, for a benchmark's CPU accounting. */
  pid: number;
  stop(): Promise<void>;
}

const HAPROXY = '/usr/sbin/haproxy';

export function haproxyUnavailable(): string | null {
  return existsSync(HAPROXY) ? null : 'HAProxy is not installed: apt-get install haproxy';
}

/** The configuration the README shows, with loopback ports. */
export function haproxyConfig(port: number, backends: readonly string[]): string {
  return [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    // Layer uploads and downloads stream for as long as they take.
    '  timeout client 10m',
    '  timeout server 10m',
    // Each request is balanced on its own, even on a kept-alive client connection.
    '  option http-server-close',
    '  retries 2',
    '  option redispatch',
    'frontend berth',
    `  bind 127.0.0.1:${port}`,
    '  default_backend processes',
    'backend processes',
    '  balance roundrobin',
    '  option httpchk GET /api/v1/health',
    ...backends.map((b, i) => `  server p${i} ${b} check inter 300ms fall 2 rise 1`),
    '',
  ].join('\n');
}

export async function startHaproxy(backends: readonly string[]): Promise<Balancer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-haproxy-'));
  const port = await freePort();
  const file = path.join(dir, 'haproxy.cfg');
  await writeFile(file, haproxyConfig(port, backends));
  const log: string[] = [];
  const child: ChildProcess = spawn(HAPROXY, ['-db', '-f', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => log.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => log.push(c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`HAProxy exited: ${log.join('')}`);
    }
    const ok = await fetch(`${url}/api/v1/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > end) throw new Error(`HAProxy did not answer: ${log.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
