// The probe of the bulk-work benchmark, in a worker thread of its own so that the main thread
// reading a large answer never delays a tick: every `intervalMs` it sends a manifest HEAD of a
// small real image and a GET of the namespaces page, on schedule rather than after the
// previous request returned (each kind on its own keep-alive agent that opens another
// connection while one is busy), and samples the server's VmRSS every `rssIntervalMs`.
// Times are absolute (performance.timeOrigin + now), so the main thread can attribute each
// probe to the phase during which it was sent.
//
// workerData: { port, intervalMs, rssIntervalMs, maxInFlight, pid, probes: [{ kind, method,
// path, headers }] }. Messages: { type: 'settle', id, before } is answered { type: 'settled',
// id, at } once every probe sent before `before` has been answered; { type: 'stop' } ends the
// ticks, waits for the probes still in flight (at most `drainMs`) and is answered
// { type: 'records', records, rss }.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';
import { rssKiB } from '../lib/process.mjs';

const { port, intervalMs, rssIntervalMs, maxInFlight, pid, probes, drainMs = 60_000 } = workerData;
const now = () => performance.timeOrigin + performance.now();

/**
 * One record per probe sent: [kindIndex, sentAt, ms, status]; status 0 is a transport error,
 * -1 a probe still unanswered `drainMs` after the last phase (its ms is the time it waited),
 * -2 a tick not sent because `maxInFlight` probes of its kind were still waiting (ms null).
 */
const records = [];
const rss = [];
const inFlight = probes.map(() => 0);
/** Probes sent and not answered yet: sentAt by a token of their own. */
const pending = new Map();
// An idle kept-alive socket is closed here after 2 s, before the server's keepAliveTimeout
// (Node's 5 s) closes it: otherwise a probe sent on a socket the server is closing that
// instant fails, a race of keep-alive itself (Go's and containerd's HTTP clients retry such a
// request; a bare http.request does not), not a sign of load.
const agents = probes.map(
  () => new http.Agent({ keepAlive: true, maxSockets: Infinity, timeout: 2000 }),
);
let stopping = false;
let drained = null;
let timer = null;
/** Settle requests not answered yet: id by the send time their probes must be older than. */
const settling = new Map();

function answerSettled() {
  if (settling.size === 0) return;
  let oldest = Infinity;
  for (const [, sentAt] of pending.values()) oldest = Math.min(oldest, sentAt);
  for (const [id, before] of settling) {
    if (oldest >= before) {
      settling.delete(id);
      parentPort.postMessage({ type: 'settled', id, at: now() });
    }
  }
}

function send(i) {
  if (inFlight[i] >= maxInFlight) {
    // The server has not answered the last `maxInFlight` of these: not opening yet more
    // connections, and recording the tick as a failed probe.
    records.push([i, now(), null, -2]);
    return;
  }
  const probe = probes[i];
  const sentAt = now();
  const token = {};
  inFlight[i]++;
  pending.set(token, [i, sentAt]);
  const done = (status) => {
    if (!pending.delete(token)) return; // already recorded (an error after the end, say)
    inFlight[i]--;
    records.push([i, sentAt, now() - sentAt, status]);
    answerSettled();
    if (stopping && inFlight.every((n) => n === 0)) drained?.();
  };
  // Said on stderr (the run's log), so a failed probe has its cause beside it.
  const failed = (err) => {
    console.error(`probe ${probe.method} ${probe.path}: ${err.code ?? err.message}`);
    done(0);
  };
  const req = http.request(
    {
      host: '127.0.0.1',
      port,
      method: probe.method,
      path: probe.path,
      headers: probe.headers,
      agent: agents[i],
    },
    (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode));
      res.on('error', (err) => failed(err));
    },
  );
  req.on('error', (err) => failed(err));
  req.end();
}

let tick = 0;
const started = now();
function schedule() {
  if (stopping) return;
  // The next tick on the original grid; ticks this thread was too late for are not sent in a
  // burst afterwards (there are none unless the worker itself stalls).
  tick = Math.max(tick + 1, Math.floor((now() - started) / intervalMs) + 1);
  timer = setTimeout(
    () => {
      for (let i = 0; i < probes.length; i++) send(i);
      schedule();
    },
    Math.max(0, started + tick * intervalMs - now()),
  );
}
for (let i = 0; i < probes.length; i++) send(i);
schedule();

const sampleRss = () => rss.push([now(), rssKiB(pid)]);
sampleRss();
let rssTimer = setInterval(sampleRss, rssIntervalMs);

parentPort.on('message', async (message) => {
  if (message.type === 'settle') {
    settling.set(message.id, message.before);
    answerSettled();
    return;
  }
  if (message.type !== 'stop') return;
  stopping = true;
  clearTimeout(timer);
  clearInterval(rssTimer);
  rssTimer = null;
  sampleRss();
  if (inFlight.some((n) => n > 0)) {
    await new Promise((resolve) => {
      drained = resolve;
      setTimeout(resolve, drainMs);
    });
  }
  const at = now();
  for (const [i, sentAt] of pending.values()) records.push([i, sentAt, at - sentAt, -1]);
  pending.clear();
  for (const agent of agents) agent.destroy();
  parentPort.postMessage({ type: 'records', records, rss });
});
