import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { goReader } from './go-reader.js';
import type { CollectedFile, CollectedFiles } from './types.js';

const BASE = 'sha256:' + 'a'.repeat(64);
const APP = 'sha256:' + 'b'.repeat(64);

/*
 * A Go binary as far as build information goes, laid out the way Go's linker writes it
 * (cmd/link/internal/ld.(*Link).buildinfo): see testdata/README.md.
 */
const MAGIC = '\xff Go buildinf:';
/** cmd/go/internal/modload's infoStart and infoEnd: raw bytes, not text. */
const INFO_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const INFO_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

/** encoding/binary.PutUvarint. */
function uvarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function varintString(bytes: Buffer): Buffer {
  return Buffer.concat([uvarint(bytes.length), bytes]);
}

/**
 * The `go:buildinfo` symbol: 32-byte header (magic, pointer size, flags with bit 2 for the
 * inline strings), the Go version and the framed module text, padded to 16 bytes. A null
 * module text is a binary built outside module mode, whose `runtime.modinfo` is empty.
 */
function buildInfoBlob(
  goVersion: string,
  moduleText: string | null,
  { flags = 2 }: { flags?: number } = {},
): Buffer {
  const header = Buffer.alloc(32);
  header.write(MAGIC, 'latin1');
  header[14] = 8;
  header[15] = flags;
  const modules =
    moduleText === null
      ? Buffer.alloc(0)
      : Buffer.concat([INFO_START, Buffer.from(moduleText), INFO_END]);
  const blob = Buffer.concat([header, varintString(Buffer.from(goVersion)), varintString(modules)]);
  return Buffer.concat([blob, Buffer.alloc((16 - (blob.length % 16)) % 16)]);
}

/** An ELF64 little-endian executable header, then the pieces at the given file offsets. */
function elfFile(pieces: { at: number; bytes: Buffer }[], size = 0x3000): Buffer {
  const file = Buffer.alloc(size);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(file, 0);
  file.writeUInt16LE(2, 16); // ET_EXEC
  file.writeUInt16LE(0x3e, 18); // EM_X86_64
  file.writeUInt32LE(1, 20);
  for (const piece of pieces) piece.bytes.copy(file, piece.at);
  return file;
}

function goBinary(blob: Buffer): Buffer {
  return elfFile([{ at: 0x1000, bytes: blob }]);
}

function file(path: string, content: Buffer, layer = APP, mode = 0o755): CollectedFile {
  return { path, content, layer, mode };
}

function collected(...versions: CollectedFile[]): CollectedFiles {
  const final = new Map<string, CollectedFile>();
  const history = new Map<string, CollectedFile[]>();
  for (const version of versions) {
    final.set(version.path, version);
    history.set(version.path, [...(history.get(version.path) ?? []), version]);
  }
  return { final, history };
}

const SERVER_MODULES = [
  'path\texample.com/app/cmd/server',
  'mod\texample.com/app\t(devel)\t',
  'dep\tgithub.com/BurntSushi/toml\tv1.3.2\th1:o7IhLm0Msx3BaB+n3Ag7L8EVlByGKjxX7uxrpVzZuBM=',
  'dep\tgithub.com/docker/docker\tv24.0.7+incompatible\th1:Wo6l37AuwP3JaMnZa226lzVXGA3F9Ig1seQen0cKYlM=',
  'dep\tgolang.org/x/net\tv0.10.0\th1:X2//UzNDwYmtCLn7To6G58Wr6f5ahEAQgKNzv9Y951M=',
  '=>\tgolang.org/x/net\tv0.17.0\th1:pVaXccu2ozPjCXewfr1S7xza/zcXTity9cCdXQYSjIM=',
  'dep\texample.com/internal/lib\tv0.0.0-00010101000000-000000000000\t',
  '=>\t../lib\t\t',
  'build\t-compiler=gc',
  'build\tCGO_ENABLED=0',
  '',
].join('\n');

describe('goReader.wants', () => {
  it.each([
    ['usr/local/bin/server', 10_000, 0o755, true],
    ['app/server', 10_000, 0o700, true],
    ['app/server', 10_000, 0o701, true],
    ['app/config.json', 10_000, 0o644, false],
    ['app/tiny', 10, 0o755, false],
  ])('%s (%d bytes, mode %o) → %s', (path, size, mode, wanted) => {
    expect(goReader.wants(path, size, mode)).toBe(wanted);
  });
});

describe('goReader.read', () => {
  it('lists the main module, the linked modules with replacements applied, and the standard library', () => {
    const files = collected(
      file('usr/local/bin/server', goBinary(buildInfoBlob('go1.21.3', SERVER_MODULES))),
    );

    const at = { layer: APP, path: 'usr/local/bin/server' };
    expect(goReader.read(files, null)).toEqual([
      {
        type: 'golang',
        name: 'example.com/app',
        version: '(devel)',
        purl: 'pkg:golang/example.com/app@%28devel%29',
        ...at,
      },
      {
        type: 'golang',
        name: 'github.com/BurntSushi/toml',
        version: 'v1.3.2',
        purl: 'pkg:golang/github.com/burntsushi/toml@v1.3.2',
        ...at,
      },
      {
        type: 'golang',
        name: 'github.com/docker/docker',
        version: 'v24.0.7+incompatible',
        purl: 'pkg:golang/github.com/docker/docker@v24.0.7%2Bincompatible',
        ...at,
      },
      {
        type: 'golang',
        name: 'golang.org/x/net',
        version: 'v0.17.0',
        purl: 'pkg:golang/golang.org/x/net@v0.17.0',
        ...at,
      },
      {
        type: 'golang',
        name: 'stdlib',
        version: '1.21.3',
        purl: 'pkg:golang/stdlib@1.21.3',
        ...at,
      },
    ]);
  });

  it('finds the blob past copies of the magic that are not build information', () => {
    const content = elfFile([
      // Go reads only a blob aligned to 16, however well-formed an unaligned one looks.
      { at: 0x801, bytes: buildInfoBlob('go1.99.0', 'mod\texample.com/decoy\tv9.9.9\t\n') },
      // A program that reads build info itself holds the magic as a string constant.
      {
        at: 0x900,
        bytes: Buffer.from(`${MAGIC}\x08\x02\xff\xff\xff\xff\xff\xff\xff\x7f`, 'latin1'),
      },
      { at: 0x1000, bytes: buildInfoBlob('go1.22.0', 'mod\texample.com/tool\tv1.2.3\th1:x=\n') },
    ]);
    const files = collected(file('bin/tool', content));

    expect(goReader.read(files, null)).toEqual([
      {
        type: 'golang',
        name: 'example.com/tool',
        version: 'v1.2.3',
        purl: 'pkg:golang/example.com/tool@v1.2.3',
        layer: APP,
        path: 'bin/tool',
      },
      {
        type: 'golang',
        name: 'stdlib',
        version: '1.22.0',
        purl: 'pkg:golang/stdlib@1.22.0',
        layer: APP,
        path: 'bin/tool',
      },
    ]);
  });

  it('reports only the standard library of a binary built outside module mode', () => {
    const files = collected(
      file('bin/old', goBinary(buildInfoBlob('go1.20.5 X:loopvar', null)), BASE),
      // Replaced in a later layer: the final binary's layer is the one reported.
      file('bin/old', goBinary(buildInfoBlob('go1.20.6', null)), APP),
    );

    expect(goReader.read(files, null)).toEqual([
      {
        type: 'golang',
        name: 'stdlib',
        version: '1.20.6',
        purl: 'pkg:golang/stdlib@1.20.6',
        layer: APP,
        path: 'bin/old',
      },
    ]);
  });

  it('takes the standard library version from a toolchain built with experiments', () => {
    const files = collected(file('bin/exp', goBinary(buildInfoBlob('go1.20.5 X:loopvar', null))));

    expect(goReader.read(files, null).map((found) => found.purl)).toEqual([
      'pkg:golang/stdlib@1.20.5',
    ]);
  });

  it('leaves out the standard library of a development toolchain', () => {
    const files = collected(
      file(
        'bin/dev',
        goBinary(
          buildInfoBlob(
            'devel go1.23-4a7f3ac Mon Jan 1 00:00:00 2024 +0000',
            'mod\tx.io/dev\t(devel)\t\n',
          ),
        ),
      ),
    );

    expect(goReader.read(files, null).map((found) => found.purl)).toEqual([
      'pkg:golang/x.io/dev@%28devel%29',
    ]);
  });

  it('skips truncated and pre-1.18 build information, files that are not ELF, and files that are not executable', () => {
    const complete = goBinary(buildInfoBlob('go1.21.3', SERVER_MODULES));
    const truncated = complete.subarray(0, 0x1000 + 32 + 9 + 40);
    const script = Buffer.from(complete);
    script.write('#!/bin/sh\n', 0, 'latin1');
    const files = collected(
      file('bin/truncated', truncated),
      file('bin/length-only', complete.subarray(0, 0x1000 + 32 + 1)),
      file('bin/ancient', goBinary(buildInfoBlob('go1.16.15', SERVER_MODULES, { flags: 0 }))),
      file('bin/script', script),
      file('lib/plugin.so.data', complete, APP, 0o644),
      file('bin/empty-version', goBinary(buildInfoBlob('', SERVER_MODULES))),
    );

    expect(goReader.read(files, null)).toEqual([]);
  });

  const hasGo = spawnSync('go', ['version']).status === 0;

  it.skipIf(!hasGo)('reads a binary built by the Go toolchain on this machine', () => {
    const folder = mkdtempSync(join(tmpdir(), 'berth-go-reader-'));
    try {
      writeFileSync(join(folder, 'go.mod'), 'module example.com/hello\n\ngo 1.18\n');
      writeFileSync(join(folder, 'main.go'), 'package main\n\nfunc main() { println("hello") }\n');
      const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' };
      execFileSync('go', ['build', '-o', 'hello', '.'], { cwd: folder, env });
      const goVersion = execFileSync('go', ['env', 'GOVERSION'], { env }).toString().trim();
      const stdlibVersion = goVersion.replace(/^go/, '').split(' ')[0] ?? '';
      const files = collected(file('app/hello', readFileSync(join(folder, 'hello'))));

      expect(goReader.read(files, null)).toEqual([
        {
          type: 'golang',
          name: 'example.com/hello',
          version: '(devel)',
          purl: 'pkg:golang/example.com/hello@%28devel%29',
          layer: APP,
          path: 'app/hello',
        },
        {
          type: 'golang',
          name: 'stdlib',
          version: stdlibVersion,
          purl: `pkg:golang/stdlib@${stdlibVersion}`,
          layer: APP,
          path: 'app/hello',
        },
      ]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
