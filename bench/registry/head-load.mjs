// A closed-loop HTTP/1.1 HEAD load generator: `threads` worker threads, `connections` keep-alive
// sockets in all, one request in flight per socket, for `seconds`.
//
// It exists because wrk 4.1.0 (Debian 12) cannot time HEAD: its http-parser is never told the
// response has no body, so after a HEAD answered with Content-Length (as the manifest endpoint
// must be) every connection waits for a body that never comes and wrk reports 0 requests
// (https://github.com/wg/wrk/issues/198). Responses to HEAD end at the blank line, so each
// worker only has to find "\r\n\r\n" on raw sockets; that keeps the client cheaper than the
// servers it loads.
import { Buffer } from 'node:buffer';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

/** Runs the load and resolves with counts, the rate of 2xx answers and latency percentiles. */
export async function headLoad({ host, port, path, headers = {}, connections, threads, seconds }) {
  const n = Math.max(1, Math.min(threads, connections));
  const request = [
    `HEAD ${path} HTTP/1.1`,
    `Host: ${host}:${port}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  const workers = Array.from({ length: n }, (_, i) => {
    const share = Math.floor(connections / n) + (i < connections % n ? 1 : 0);
    return new Worker(new URL(import.meta.url), {
      workerData: { host, port, request, connections: share, seconds },
    });
  });
  let results;
  try {
    results = await Promise.all(
      workers.map(
        (w) =>
          new Promise((resolve, reject) => {
            w.once('message', resolve);
            w.once('error', reject);
            w.once('exit', (code) => reject(new Error(`load worker exited ${code}`)));
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const latencies = new Float64Array(results.reduce((s, r) => s + r.latencies.length, 0));
  let at = 0;
  for (const r of results) {
    latencies.set(r.latencies, at);
    at += r.latencies.length;
  }
  latencies.sort();
  const sum = (k) => results.reduce((s, r) => s + r[k], 0);
  const elapsed = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
  const ok = sum('ok');
  const statuses = {};
  for (const r of results) {
    for (const [status, count] of Object.entries(r.statuses)) {
      statuses[status] = (statuses[status] ?? 0) + count;
    }
  }
  return {
    requests: ok + sum('non2xx'),
    ok,
    non2xx: sum('non2xx'),
    statuses,
    socketErrors: sum('socketErrors'),
    elapsedSeconds: elapsed,
    requestsPerSecond: ok / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

function runWorker({ host, port, request, connections, seconds }) {
  const req = Buffer.from(request, 'latin1');
  const start = performance.now();
  const end = start + seconds * 1000;
  const latencies = [];
  const statuses = {};
  let ok = 0;
  let non2xx = 0;
  let socketErrors = 0;
  let open = 0;
  let finished = false;

  const done = () => {
    if (finished) return;
    finished = true;
    const elapsedMs = performance.now() - start;
    const lat = Float64Array.from(latencies);
    parentPort.postMessage({ ok, non2xx, socketErrors, statuses, elapsedMs, latencies: lat }, [
      lat.buffer,
    ]);
  };

  const connect = () => {
    if (performance.now() >= end) return;
    open++;
    const socket = net.connect({ host, port, noDelay: true });
    let buf = '';
    let sent = 0;
    let expectedClose = false;
    const send = () => {
      if (performance.now() >= end) {
        expectedClose = true;
        socket.destroy();
        return;
      }
      sent = performance.now();
      socket.write(req);
    };
    socket.setEncoding('latin1');
    socket.once('connect', send);
    socket.on('data', (chunk) => {
      buf += chunk;
      const eoh = buf.indexOf('\r\n\r\n');
      if (eoh < 0) return;
      const status = Number(buf.slice(9, 12));
      const closing = /\r\nconnection:\s*close/i.test(buf.slice(0, eoh));
      buf = buf.slice(eoh + 4);
      latencies.push(performance.now() - sent);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) ok++;
      else non2xx++;
      if (closing) {
        expectedClose = true;
        socket.destroy();
      } else send();
    });
    socket.on('error', () => {
      // counted on close
    });
    socket.once('close', () => {
      open--;
      if (performance.now() < end) {
        if (!expectedClose) socketErrors++;
        connect();
      } else if (open === 0) done();
    });
  };
  for (let i = 0; i < connections; i++) connect();
  // A socket stuck in a request at the deadline still ends the run.
  setTimeout(done, seconds * 1000 + 2000).unref();
}

if (!isMainThread && workerData?.request) runWorker(workerData);
