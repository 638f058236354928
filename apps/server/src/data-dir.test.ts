import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { DataDirBusyError, firstStartInterrupted, takeStartLock } from './data-dir.js';
import { SERVER_MAIN } from './testing/server-processes.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const deadPid = () => spawnSync('true').pid!;

it('writes the lock whole and leaves nothing else beside it', () => {
  const dir = tempDir();
  const lock = takeStartLock(dir, 0o022);
  expect(fs.readdirSync(dir)).toEqual(['start.lock']);
  const holder = JSON.parse(fs.readFileSync(path.join(dir, 'start.lock'), 'utf8')) as {
    pid: number;
    host: string;
  };
  expect(holder).toMatchObject({ pid: process.pid, host: os.hostname() });
  expect(fs.statSync(path.join(dir, 'start.lock')).mode & 0o777).toBe(0o644);
  expect(lock.tookOverFrom).toBeNull();
  expect(() => takeStartLock(dir, 0o022)).toThrow(DataDirBusyError);
  // The refused attempt leaves no file of its own either.
  expect(fs.readdirSync(dir)).toEqual(['start.lock']);
  lock.release();
  expect(fs.readdirSync(dir)).toEqual([]);
});

it('takes over a lock whose process is gone, and one left unreadable', () => {
  const dir = tempDir();
  const file = path.join(dir, 'start.lock');
  const dead = { pid: deadPid(), host: os.hostname(), startedAt: 'then' };
  fs.writeFileSync(file, JSON.stringify(dead));
  expect(firstStartInterrupted(dir)).toBe(true);
  const lock = takeStartLock(dir, 0o022);
  expect(lock.tookOverFrom).toEqual(dead);
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
  expect(fs.readdirSync(dir)).toEqual(['start.lock']);
  lock.release();

  // What a writer that died between creating and writing the file would have left.
  fs.writeFileSync(file, '');
  const again = takeStartLock(dir, 0o022);
  expect(again.tookOverFrom).toBeNull();
  expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
  again.release();
});

/**
 * Processes that start together on one directory, a dead holder's lock in it: each that gets
 * the lock records when it held it, and no two of those times overlap.
 */
it('lets one process at a time hold it when several race for it, a dead lock among them', async () => {
  const dir = tempDir();
  const work = tempDir();
  const go = path.join(work, 'go');
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  const dataDirModule = path.join(path.dirname(SERVER_MAIN), 'data-dir.js');
  const script = `
    import fs from 'node:fs';
    import { takeStartLock } from ${JSON.stringify(dataDirModule)};
    while (!fs.existsSync(${JSON.stringify(go)})) {}
    let lock;
    try { lock = takeStartLock(${JSON.stringify(dataDir)}, 0o022); }
    catch (err) { console.log(JSON.stringify({ refused: err.name })); process.exit(0); }
    const from = Date.now();
    const until = from + 150;
    while (Date.now() < until) {}
    const to = Date.now();
    lock.release();
    console.log(JSON.stringify({ from, to }));
  `;
  const rounds = 3;
  for (let round = 0; round < rounds; round++) {
    fs.writeFileSync(
      path.join(dataDir, 'start.lock'),
      JSON.stringify({ pid: deadPid(), host: os.hostname(), startedAt: 'then' }),
    );
    fs.rmSync(go, { force: true });
    const children = Array.from({ length: 6 }, () =>
      spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    const outputs = children.map(
      (child) =>
        new Promise<string>((resolve) => {
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.on('close', () => resolve(out));
        }),
    );
    // Every child is spinning on the go file by now, or starts right after it appears.
    await new Promise((resolve) => setTimeout(resolve, 300));
    fs.writeFileSync(go, '');
    const results = (await Promise.all(outputs)).map(
      (out) => JSON.parse(out) as { from?: number; to?: number; refused?: string },
    );
    const held = results.filter((r) => r.from !== undefined).sort((a, b) => a.from! - b.from!);
    expect(held.length).toBeGreaterThanOrEqual(1);
    for (const r of results) if (r.refused) expect(r.refused).toBe('DataDirBusyError');
    for (let i = 1; i < held.length; i++)
      expect(held[i]!.from!).toBeGreaterThanOrEqual(held[i - 1]!.to!);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  }
}, 60_000);
