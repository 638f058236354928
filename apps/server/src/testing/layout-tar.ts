import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

/** One entry of a hand-made tar: a file, or something a layout must never hold. */
export type TarEntry =
  | { name: string; content: Buffer | string }
  | { name: string; symlinkTo: string }
  | { name: string; directory: true };

/**
 * Writes a tar of exactly these entries, so tests can hand Berth archives no well-behaved tool
 * writes (`../` names, links, wrong digests). `truncateTo` cuts the file after that many bytes.
 */
export async function writeTar(
  file: string,
  entries: TarEntry[],
  opts: { truncateTo?: number } = {},
): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, fs.createWriteStream(file));
  for (const entry of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if ('content' in entry) pack.entry({ name: entry.name }, Buffer.from(entry.content), cb);
      else if ('symlinkTo' in entry) {
        pack.entry({ name: entry.name, type: 'symlink', linkname: entry.symlinkTo }, cb);
      } else pack.entry({ name: entry.name, type: 'directory' }, cb);
    });
  }
  pack.finalize();
  await done;
  if (opts.truncateTo !== undefined) fs.truncateSync(file, opts.truncateTo);
}

/** Every file of a layout directory as tar entries, for tests that then spoil one. */
export function layoutEntries(dir: string): { name: string; content: Buffer }[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort()
    .map((name) => ({ name, content: fs.readFileSync(path.join(dir, name)) }));
}

/** Unpacks a tar into a map of entry name → bytes (test archives are small). */
export async function readTar(file: string): Promise<Map<string, Buffer>> {
  const extract = tar.extract();
  const files = new Map<string, Buffer>();
  const reading = pipeline(fs.createReadStream(file), extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    files.set(entry.header.name, Buffer.concat(chunks));
  }
  await reading;
  return files;
}
