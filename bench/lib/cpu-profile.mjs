// Reading a V8 .cpuprofile (what `node --cpu-prof` writes): where the samples fell, by function
// (self and inclusive time) and by package or file, as a flame graph would show it in text.
import fs from 'node:fs';

/** `node_modules/<pkg>`, `node:<module>`, our own workspace file, or V8's own buckets. */
export function ownerOf(url) {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const ours = /\/(apps\/[^/]+|packages\/[^/]+)\/dist\/(.+)$/.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}`;
  return url.replace(/^file:\/\//, '');
}

/**
 * Self and inclusive milliseconds per function (`name file:line`) and self milliseconds per
 * owner. Inclusive time counts a frame once per sample even when it recurses.
 */
export function summarizeProfile(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const keyOf = (n) => {
    const f = n.callFrame;
    const file = ownerOf(f.url);
    return `${f.functionName || '(anonymous)'} ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  };
  const byFunction = new Map();
  const byOwner = new Map();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const n = nodes.get(id);
    if (!n) continue;
    totalUs += us;
    if (n.callFrame.functionName === '(idle)') idleUs += us;
    const k = keyOf(n);
    const entry = byFunction.get(k) ?? { selfUs: 0, totalUs: 0 };
    entry.selfUs += us;
    byFunction.set(k, entry);
    const owner =
      n.callFrame.url === '' ? n.callFrame.functionName || '(native)' : ownerOf(n.callFrame.url);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + us);
    // Inclusive: every distinct frame on this node's stack gets the sample's time.
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at);
      if (!frame) break;
      const fk = keyOf(frame);
      if (seen.has(fk)) continue;
      seen.add(fk);
      const e = byFunction.get(fk) ?? { selfUs: 0, totalUs: 0 };
      e.totalUs += us;
      byFunction.set(fk, e);
    }
  }
  return { totalUs, idleUs, byFunction, byOwner };
}

export function readProfile(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** A text report: busy time, top owners by self time, top functions by self and inclusive. */
export function formatSummary(summary, { top = 25, requests = null } = {}) {
  const ms = (us) => (us / 1000).toFixed(1);
  const busyUs = summary.totalUs - summary.idleUs;
  const pct = (us) => `${((100 * us) / Math.max(1, busyUs)).toFixed(1)}%`;
  const perReq = (us) => (requests ? `  ${(us / requests).toFixed(1)} µs/req` : '');
  const lines = [
    `busy ${ms(busyUs)} ms of ${ms(summary.totalUs)} ms sampled` +
      (requests ? ` (${requests} requests, ${(busyUs / requests).toFixed(1)} µs busy each)` : ''),
    '',
    'self time by package / file:',
  ];
  const owners = [...summary.byOwner]
    .filter(([k]) => k !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [k, us] of owners)
    lines.push(`  ${pct(us).padStart(6)}  ${ms(us).padStart(9)} ms${perReq(us)}  ${k}`);
  const fns = [...summary.byFunction].filter(([k]) => !k.startsWith('(idle)'));
  lines.push('', 'self time by function:');
  for (const [k, e] of [...fns].sort((a, b) => b[1].selfUs - a[1].selfUs).slice(0, top)) {
    lines.push(`  ${pct(e.selfUs).padStart(6)}  ${ms(e.selfUs).padStart(9)} ms  ${k}`);
  }
  lines.push('', 'inclusive time by function (ours and our dependencies):');
  for (const [k, e] of [...fns]
    .filter(([k]) => !k.startsWith('(root)') && !k.startsWith('(program)'))
    .sort((a, b) => b[1].totalUs - a[1].totalUs)
    .slice(0, top * 2)) {
    lines.push(`  ${pct(e.totalUs).padStart(6)}  ${ms(e.totalUs).padStart(9)} ms  ${k}`);
  }
  return lines.join('\n');
}
