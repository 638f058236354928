// Process, port and /proc helpers shared by the registry benchmark modules.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';

export const MiB = 1024 * 1024;

/** Every child still running: killed on exit, whatever the reason for the exit. */
export const children = new Set();

export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Runs a command to completion. Output is captured (not echoed unless `echo`), and an error
 * carries the command's last lines of stderr so a failure can be reported as it was seen.
 */
export function run(cmd, args, opts = {}) {
  const { echo = false, label = `${cmd} ${args.join(' ')}`, ...spawnOpts } = opts;
  return new Promise((resolve, reject) => {
    const child = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOpts }));
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (echo) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
      if (echo) process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) {
        resolve({ out, err });
        return;
      }
      const tail = `${err}${out}`.trim().split('\n').slice(-15).join('\n');
      const e = new Error(`${label} exited ${code ?? signal}${tail ? `:\n${tail}` : ''}`);
      e.stdout = out;
      e.stderr = err;
      reject(e);
    });
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function statusKiB(pid, field) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const v = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return v === undefined ? 0 : Number(v);
  } catch {
    return 0; // exited between listing and reading
  }
}

/** The pid and its descendants, from the ppid field of /proc/<pid>/stat. */
export function processTree(rootPid) {
  const parentOf = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may contain spaces; ppid is the 2nd field after it.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {
      // gone
    }
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/** VmRSS of the process and its descendants, in KiB. */
export function treeRssKiB(rootPid) {
  let total = 0;
  const pids = processTree(rootPid);
  for (const pid of pids) total += statusKiB(pid, 'VmRSS');
  return { kib: total, processes: pids.length };
}

/**
 * CPU seconds (user + system, all threads) the process has used so far, from /proc/<pid>/stat.
 * Unlike throughput it does not depend on how much of the machine other work left over.
 */
export function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
/** USER_HZ: 100 on every Linux the benchmark runs on (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

export const rssKiB = (pid) => statusKiB(pid, 'VmRSS');
export const hwmKiB = (pid) => statusKiB(pid, 'VmHWM');

/** Samples the tree's VmRSS every `intervalMs` until stop() is called. */
export function sampleRss(rootPid, intervalMs) {
  const samples = [];
  let maxProcesses = 1;
  const take = () => {
    const { kib, processes } = treeRssKiB(rootPid);
    if (kib > 0) samples.push(kib);
    maxProcesses = Math.max(maxProcesses, processes);
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { samples, peakKiB: Math.max(0, ...samples), maxProcesses };
    },
  };
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stop(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export const round = (v, digits = 2) =>
  v === null || v === undefined || !Number.isFinite(v) ? null : Number(v.toFixed(digits));

/** A non-negative integer from the environment (`1_000_000` allowed), or the fallback. */
export function envInt(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

/** envInt, refusing 0: a count or duration the benchmark cannot run with none of. */
export function envPositive(name, fallback) {
  const n = envInt(name, fallback);
  if (n === 0) throw new Error(`${name} must be at least 1`);
  return n;
}
