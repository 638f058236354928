import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ClientResult, runClient } from './container-daemons.js';

/**
 * podman and buildah (containers/image and containers/storage, like skopeo), each test file
 * with one private sandbox under a temp directory: image storage (`--root`, `--runroot`, vfs,
 * so no overlay mounts), containers.conf (file events, cgroupfs), an empty registries.conf (no
 * search registries, no mirrors), and the auth file `login` writes (REGISTRY_AUTH_FILE). Nothing
 * of the user's configuration is read or written. podman and buildah share the storage, so an
 * image buildah commits is one podman can push.
 */

let available: boolean | undefined;

/** Whether both podman and buildah run here; cached since `describe.skipIf` asks at import. */
export function hasContainerTools(): boolean {
  if (available === undefined) {
    try {
      for (const tool of ['podman', 'buildah']) {
        execFileSync(tool, ['--version'], { stdio: 'ignore', timeout: 10_000 });
      }
      // Private storage for a root-owned tool needs root (no user namespaces here).
      available = process.getuid?.() === 0;
    } catch {
      available = false;
    }
  }
  return available;
}

export interface ContainerTools {
  /** `podman <args>` in the sandbox; never rejects on a non-zero exit. */
  podman(args: string[], stdin?: string): Promise<ClientResult>;
  /** `buildah <args>` in the sandbox. */
  buildah(args: string[], stdin?: string): Promise<ClientResult>;
  /** A one-layer image built from scratch with `file` holding `content`, named `ref` locally. */
  buildImage(ref: string, content: string): Promise<void>;
  /** Where `login` stored credentials. */
  authFile: string;
  dispose(): void;
}

export function containerTools(): ContainerTools {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-podman-'));
  const dir = (name: string) => {
    const d = path.join(root, name);
    fs.mkdirSync(d, { mode: 0o700 });
    return d;
  };
  const [home, config, runtime, tmp, storage, runroot] = [
    'home',
    'config',
    'runtime',
    'tmp',
    'storage',
    'run',
  ].map(dir) as [string, string, string, string, string, string];
  const authFile = path.join(root, 'auth.json');
  fs.writeFileSync(authFile, '{}', { mode: 0o600 });
  const registriesConf = path.join(root, 'registries.conf');
  fs.writeFileSync(registriesConf, '');
  const containersConf = path.join(root, 'containers.conf');
  fs.writeFileSync(
    containersConf,
    '[engine]\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n',
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: config,
    XDG_RUNTIME_DIR: runtime,
    TMPDIR: tmp,
    REGISTRY_AUTH_FILE: authFile,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    CONTAINERS_CONF: containersConf,
  };
  const storageArgs = ['--root', storage, '--runroot', runroot, '--storage-driver', 'vfs'];
  const tools: ContainerTools = {
    authFile,
    podman: (args, stdin) =>
      runClient('podman', [...storageArgs, '--tmpdir', tmp, ...args], env, stdin),
    buildah: (args, stdin) => runClient('buildah', [...storageArgs, ...args], env, stdin),
    async buildImage(ref, content) {
      const context = fs.mkdtempSync(path.join(tmp, 'ctx-'));
      fs.writeFileSync(path.join(context, 'file'), content);
      const from = await tools.buildah(['from', 'scratch']);
      if (from.code !== 0) throw new Error(`buildah from failed: ${from.stderr}`);
      const container = from.stdout.trim();
      try {
        const copied = await tools.buildah(['copy', container, path.join(context, 'file'), '/']);
        if (copied.code !== 0) throw new Error(`buildah copy failed: ${copied.stderr}`);
        const committed = await tools.buildah(['commit', '--quiet', container, ref]);
        if (committed.code !== 0) throw new Error(`buildah commit failed: ${committed.stderr}`);
      } finally {
        await tools.buildah(['rm', container]);
        fs.rmSync(context, { recursive: true, force: true });
      }
    },
    dispose() {
      // vfs layers are plain directories; nothing is mounted.
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return tools;
}
