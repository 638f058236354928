import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

/** A record file larger than this is skipped: OSV records are kilobytes, the largest ~1 MB. */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;

/** One record's text and where it came from (`file.zip:ID.json`), or why it could not be read. */
export type SourceEntry = { origin: string; text: string } | { origin: string; unreadable: string };

/**
 * Every OSV record under the given paths, one at a time: a `.json` file, a `.zip` of them
 * (what osv.dev exports per ecosystem, `all.zip`), or a directory holding either, at any depth.
 * Entries are read one by one, so an export of any size is imported in bounded memory.
 */
export async function* osvSourceEntries(paths: readonly string[]): AsyncGenerator<SourceEntry> {
  for (const given of paths) {
    const stat = await fs.promises.stat(given).catch(() => null);
    if (!stat) throw new SourceError(`${given}: no such file or directory`);
    if (stat.isDirectory()) {
      const names = (await fs.promises.readdir(given, { recursive: true })).sort();
      for (const name of names) {
        const file = path.join(given, name);
        if (/\.(json|zip)$/i.test(name) && (await fs.promises.stat(file)).isFile()) {
          yield* fileEntries(file);
        }
      }
    } else {
      yield* fileEntries(given);
    }
  }
}

/** A path that cannot be imported at all (missing, not a zip): the import stops, changing nothing more. */
export class SourceError extends Error {}

async function* fileEntries(file: string): AsyncGenerator<SourceEntry> {
  if (/\.zip$/i.test(file)) {
    yield* zipEntries(file);
    return;
  }
  const size = (await fs.promises.stat(file)).size;
  if (size > MAX_RECORD_BYTES) {
    yield { origin: file, unreadable: `larger than ${MAX_RECORD_BYTES} bytes` };
    return;
  }
  yield { origin: file, text: await fs.promises.readFile(file, 'utf8') };
}

async function* zipEntries(file: string): AsyncGenerator<SourceEntry> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, z) =>
      err
        ? reject(new SourceError(`${file}: not a readable zip file (${err.message})`))
        : resolve(z),
    ),
  );
  try {
    for (;;) {
      const entry = await nextEntry(zip);
      if (!entry) return;
      const origin = `${file}:${entry.fileName}`;
      if (entry.fileName.endsWith('/') || !/\.json$/i.test(entry.fileName)) continue;
      if (entry.uncompressedSize > MAX_RECORD_BYTES) {
        yield { origin, unreadable: `larger than ${MAX_RECORD_BYTES} bytes` };
        continue;
      }
      try {
        yield { origin, text: await readEntry(zip, entry) };
      } catch (err) {
        yield { origin, unreadable: (err as Error).message };
      }
    }
  } finally {
    zip.close();
  }
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry) => {
      cleanup();
      resolve(entry);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new SourceError(`the zip file is damaged: ${err.message}`));
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<string> {
  const stream = await new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))),
  );
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    // yauzl checks the declared size as it inflates; this bounds a lying header too.
    if (size > MAX_RECORD_BYTES) {
      stream.destroy();
      throw new Error(`larger than ${MAX_RECORD_BYTES} bytes`);
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}
