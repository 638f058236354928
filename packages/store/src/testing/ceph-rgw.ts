import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/**
 * A throwaway Ceph cluster (one monitor, one in-memory OSD) with a RADOS Gateway in front: a
 * real S3 server for tests, started as plain processes in a few seconds. The recipe and its
 * pitfalls are in ../shared/notes/real-engines.md; Debian's radosgw, ceph-mon, ceph-osd and
 * ceph-common packages provide the programs (.ci/run installs them).
 */
export interface CephRgw {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  stop(): Promise<void>;
}

const PROGRAMS = ['ceph-mon', 'ceph-osd', 'radosgw', 'ceph', 'ceph-authtool', 'monmaptool'];
const SEARCH_PATH = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'];

/** Why a Ceph cluster cannot be started here, or null when it can. */
export function cephUnavailable(): string | null {
  const missing = PROGRAMS.filter((p) => !SEARCH_PATH.some((dir) => existsSync(path.join(dir, p))));
  return missing.length > 0
    ? `Ceph is not installed (missing ${missing.join(', ')}): apt-get install radosgw ceph-mon ceph-osd ceph-common`
    : null;
}

async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`Ceph: ${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts the cluster and the gateway and creates an S3 user. `memoryBytes` bounds what the
 * in-memory OSD holds: once it is full, writes hang instead of failing, so size it above what
 * the tests write.
 */
export async function startCephRgw(opts: { memoryBytes?: number } = {}): Promise<CephRgw> {
  const unavailable = cephUnavailable();
  if (unavailable) throw new Error(unavailable);
  // Short: admin socket paths are limited to about 107 characters.
  const dir = await mkdtemp('/tmp/rgw-');
  const conf = path.join(dir, 'ceph.conf');
  const keyring = path.join(dir, 'keyring');
  const children: ChildProcess[] = [];
  const [monV2, monV1, rgwPort] = [await freePort(), await freePort(), await freePort()];
  const fsid = randomUUID();
  const monAddress = `[v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]`;

  const stop = async () => {
    // The gateway first: it hangs on SIGTERM once the OSD is gone.
    for (const child of [...children].reverse()) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    for (const sub of ['run', 'log', 'mon/ceph-a', 'osd/ceph-0', 'rgw']) {
      await mkdir(path.join(dir, sub), { recursive: true });
    }
    await writeFile(
      conf,
      [
        '[global]',
        `fsid = ${fsid}`,
        `mon host = ${monAddress}`,
        'mon initial members = a',
        'public network = 127.0.0.0/8',
        'ms bind ipv6 = false',
        'osd pool default size = 1',
        'osd pool default min size = 1',
        'osd pool default pg num = 8',
        'osd pool default pgp num = 8',
        'osd pool default pg autoscale mode = off',
        'osd crush chooseleaf type = 0',
        'mon allow pool size one = true',
        'mon allow pool delete = true',
        // Without it the gateway's start takes 10 s and each first bucket or upload 2 s.
        'paxos propose interval = 0.1',
        'mon data avail warn = 2',
        `run dir = ${dir}/run`,
        `log file = ${dir}/log/$name.log`,
        `admin socket = ${dir}/run/$name.asok`,
        `pid file = ${dir}/run/$name.pid`,
        `keyring = ${keyring}`,
        'osd objectstore = memstore',
        `memstore device bytes = ${opts.memoryBytes ?? 2 * 1024 ** 3}`,
        '[mon]',
        `mon data = ${dir}/mon/$cluster-$id`,
        '[osd]',
        `osd data = ${dir}/osd/$cluster-$id`,
        '[client.rgw.x]',
        `rgw frontends = beast endpoint=127.0.0.1:${rgwPort}`,
        'ms mon client mode = crc',
        'rgw init timeout = 60',
        `rgw data = ${dir}/rgw`,
        '',
      ].join('\n'),
    );
    const keys: [string, string[]][] = [
      ['mon.', ['--cap', 'mon', 'allow *']],
      [
        'client.admin',
        ['--cap', 'mon', 'allow *', '--cap', 'osd', 'allow *', '--cap', 'mgr', 'allow *'],
      ],
      [
        'osd.0',
        [
          '--cap',
          'mon',
          'allow profile osd',
          '--cap',
          'osd',
          'allow *',
          '--cap',
          'mgr',
          'allow profile osd',
        ],
      ],
      ['client.rgw.x', ['--cap', 'mon', 'allow rw', '--cap', 'osd', 'allow rwx']],
    ];
    for (const [i, [name, caps]] of keys.entries()) {
      await run('ceph-authtool', [
        ...(i === 0 ? ['--create-keyring'] : []),
        keyring,
        '--gen-key',
        '-n',
        name,
        ...caps,
      ]);
    }
    const monmap = path.join(dir, 'monmap');
    await run('monmaptool', ['--create', '--addv', 'a', monAddress, '--fsid', fsid, monmap]);
    await run('ceph-mon', [
      '-c',
      conf,
      '--mkfs',
      '-i',
      'a',
      '--monmap',
      monmap,
      '--keyring',
      keyring,
    ]);
    children.push(daemon('ceph-mon', ['-c', conf, '-i', 'a', '-f'], dir));
    const ceph = (...args: string[]) =>
      run('ceph', ['-c', conf, '--connect-timeout', '5', ...args], { timeout: 15_000 });
    await waitFor('the monitor answering', 30_000, async () => {
      await ceph('-s');
      return true;
    });

    const osdUuid = randomUUID();
    await ceph('osd', 'new', osdUuid, '0');
    await run('ceph-osd', ['-c', conf, '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    children.push(daemon('ceph-osd', ['-c', conf, '-i', '0', '-f'], dir));
    await waitFor('the OSD being up and in', 60_000, async () => {
      const { stdout } = await ceph('osd', 'dump', '--format', 'json');
      const osd = (JSON.parse(stdout) as { osds: { up: number; in: number }[] }).osds[0];
      return osd?.up === 1 && osd.in === 1;
    });

    children.push(daemon('radosgw', ['-c', conf, '-n', 'client.rgw.x', '-f'], dir));
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await waitFor('the gateway answering', 90_000, async () => (await fetch(endpoint)).ok);

    const accessKeyId = `BERTH${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(24).toString('base64url');
    await run('radosgw-admin', [
      '-c',
      conf,
      '-n',
      'client.admin',
      'user',
      'create',
      '--uid',
      'berth',
      '--display-name',
      'Berth tests',
      '--access-key',
      accessKeyId,
      '--secret-key',
      secretAccessKey,
    ]);
    return { endpoint, accessKeyId, secretAccessKey, region: 'us-east-1', stop };
  } catch (error) {
    const logs = await readLogs(dir);
    await stop();
    throw new Error(`${(error as Error).message}\n${logs}`);
  }
}

function daemon(program: string, args: string[], dir: string): ChildProcess {
  const child = spawn(program, args, { cwd: dir, stdio: 'ignore' });
  child.on('error', () => undefined);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killed = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(killed);
}

/** The end of each daemon's log, for a start that failed. */
async function readLogs(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const name of ['mon.a', 'osd.0', 'client.rgw.x']) {
    const text = await readFile(path.join(dir, 'log', `${name}.log`), 'utf8').catch(() => '');
    if (text) parts.push(`--- ${name}.log (end) ---\n${text.split('\n').slice(-15).join('\n')}`);
  }
  return parts.join('\n');
}
