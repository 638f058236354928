// Where the CPU goes while something runs: CPU seconds (user + system, all threads) of each
// part of the deployment, read from /proc before and after. On a 2-core machine a sum near 2 s
// per second of wall time means the machine, not any one part, is the limit.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { cpuSeconds } from '../lib/process.mjs';

/** The part of the deployment a process belongs to, by its command name. */
const PARTS = {
  postgres: 'PostgreSQL',
  radosgw: 'Ceph RGW',
  'ceph-osd': 'Ceph OSD',
  'ceph-mon': 'Ceph OSD',
  haproxy: 'HAProxy',
};

function commOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** CPU seconds so far per part; Berth's processes are named by `berthPids`. */
function snapshot(berthPids) {
  const totals = {};
  const berth = new Set(berthPids);
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const part = berth.has(pid) ? 'Berth' : PARTS[commOf(pid)];
    if (!part) continue;
    // Per pid, so a process that exits in between (a PostgreSQL backend) only loses its own.
    totals[`${part}\u0000${pid}`] = cpuSeconds(pid);
  }
  return totals;
}

/**
 * Runs `fn` and resolves with its value, the wall seconds and, per part, the cores it used on
 * average (CPU seconds / wall seconds).
 */
export async function withCpu(berthPids, fn) {
  const before = snapshot(berthPids);
  const client = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const wallSeconds = (performance.now() - t) / 1000;
  const after = snapshot(berthPids);
  const { user, system } = process.cpuUsage(client);
  // The benchmark's own process: the HEAD load generator's threads. skopeo, a child that
  // comes and goes between the two readings, is not counted.
  const used = { 'load generator': (user + system) / 1e6 };
  for (const [key, seconds] of Object.entries(after)) {
    const part = key.split('\u0000')[0];
    used[part] = (used[part] ?? 0) + seconds - (before[key] ?? 0);
  }
  const cores = Object.fromEntries(
    Object.entries(used)
      .filter(([, s]) => s > 0)
      .map(([part, s]) => [part, Number((s / wallSeconds).toFixed(2))]),
  );
  return { value, wallSeconds, cores };
}
