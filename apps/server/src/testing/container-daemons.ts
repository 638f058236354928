import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Docker's and containerd's own daemons, started for one test file with everything private:
 * data, state and sockets under one temp directory, `DOCKER_CONFIG` (where `docker login`
 * stores credentials) too, no iptables and no bridge, vfs storage. Both come from Debian
 * (`docker.io`, `containerd`) and need root; `hasDockerd()` / `hasContainerd()` say whether
 * they can run here.
 */

const DOCKERD = '/usr/sbin/dockerd';
const DOCKER = '/usr/bin/docker';
const CONTAINERD = '/usr/bin/containerd';
const CTR = '/usr/bin/ctr';
const START_TIMEOUT_MS = 30_000;
// A push or pull of a test image by any client: long enough for a loaded 2-core machine.
const COMMAND_TIMEOUT_MS = 120_000;

const isRoot = () => process.getuid?.() === 0;
export const hasDockerd = () => isRoot() && fs.existsSync(DOCKERD) && fs.existsSync(DOCKER);
export const hasContainerd = () => isRoot() && fs.existsSync(CONTAINERD) && fs.existsSync(CTR);

export interface ClientResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client; never rejects on a non-zero exit, since tests assert on what it printed. */
export function runClient(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin?: string,
): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        if (error && code === -1) return reject(error);
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
    // A client that exits without reading its input (ctr often does) closes the pipe first:
    // the EPIPE is no failure of the test, which asserts on the exit code and output.
    child.stdin?.on('error', () => {});
    child.stdin?.end(stdin ?? '');
  });
}

/** Waits until the daemon answers its client; a daemon that never does is stopped again. */
async function started<T extends { stop(): Promise<void> }>(
  daemon: T,
  child: ChildProcess,
  answers: () => Promise<ClientResult>,
  what: string,
  log: string,
): Promise<T> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode === null && (await answers()).code === 0) return daemon;
    await sleep(200);
  }
  await daemon.stop();
  const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-2000) : '';
  throw new Error(`${what} did not start within ${START_TIMEOUT_MS} ms:\n${tail}`);
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!killed) {
    child.kill('SIGKILL');
    await exited;
  }
}

function daemonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...extra };
}

export interface Docker {
  /** `docker <args>` against this daemon, with this daemon's private DOCKER_CONFIG. */
  run(args: string[], stdin?: string): Promise<ClientResult>;
  /** A one-file image (`docker import` of a tar with `file` holding `content`), tagged `ref`. */
  importImage(ref: string, content: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts dockerd; 127.0.0.0/8 registries are plain HTTP to Docker without configuration. */
export async function startDockerd(): Promise<Docker> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bd-'));
  const socket = path.join(root, 'd.sock');
  const log = path.join(root, 'dockerd.log');
  const config = path.join(root, 'config');
  fs.mkdirSync(config);
  const child = spawn(
    DOCKERD,
    [
      '--data-root',
      path.join(root, 'data'),
      '--exec-root',
      path.join(root, 'x'),
      '--pidfile',
      path.join(root, 'd.pid'),
      '--host',
      `unix://${socket}`,
      '--storage-driver=vfs',
      '--iptables=false',
      '--ip-masq=false',
      '--bridge=none',
      '--containerd-namespace',
      'berth-tests',
      '--containerd-plugins-namespace',
      'berth-tests-plugins',
    ],
    { env: daemonEnv(), stdio: ['ignore', fs.openSync(log, 'a'), fs.openSync(log, 'a')] },
  );
  const env = daemonEnv({ DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: config, HOME: root });
  const docker: Docker = {
    run: (args, stdin) => runClient(DOCKER, args, env, stdin),
    async importImage(ref, content) {
      const rootfs = path.join(root, `rootfs-${Date.now()}`);
      fs.mkdirSync(rootfs);
      fs.writeFileSync(path.join(rootfs, 'file'), content);
      const tar = `${rootfs}.tar`;
      const made = await runClient('tar', ['-C', rootfs, '-cf', tar, '.'], env);
      if (made.code !== 0) throw new Error(`tar failed: ${made.stderr}`);
      const imported = await docker.run(['import', tar, ref]);
      if (imported.code !== 0) throw new Error(`docker import failed: ${imported.stderr}`);
    },
    async stop() {
      await stopDaemon(child);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return started(docker, child, () => docker.run(['version']), 'dockerd', log);
}

export interface Containerd {
  /** `ctr <args>` against this daemon. */
  ctr(args: string[]): Promise<ClientResult>;
  stop(): Promise<void>;
}

export async function startContainerd(): Promise<Containerd> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-'));
  const socket = path.join(root, 'c.sock');
  const log = path.join(root, 'containerd.log');
  const configFile = path.join(root, 'config.toml');
  fs.writeFileSync(
    configFile,
    [
      'version = 2',
      `root = "${path.join(root, 'root')}"`,
      `state = "${path.join(root, 'state')}"`,
      // Only what ctr pull and push need: no CRI, no snapshotters that mount.
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '[debug]',
      `  address = "${socket}.debug"`,
      '',
    ].join('\n'),
  );
  const child = spawn(CONTAINERD, ['--config', configFile], {
    env: daemonEnv(),
    stdio: ['ignore', fs.openSync(log, 'a'), fs.openSync(log, 'a')],
  });
  const env = daemonEnv({ HOME: root });
  const containerd: Containerd = {
    ctr: (args) =>
      runClient(CTR, ['--address', socket, '--namespace', 'berth-tests', ...args], env),
    async stop() {
      await stopDaemon(child);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return started(containerd, child, () => containerd.ctr(['version']), 'containerd', log);
}
