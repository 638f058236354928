import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { precompress } from './precompress';

let dir: string;

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the plugin's two hooks as `vite build` does, on `files` written to a build directory. */
async function build(files: Record<string, string | Buffer>): Promise<string> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-precompress-'));
  for (const [name, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, 'dist', name)), { recursive: true });
    fs.writeFileSync(path.join(dir, 'dist', name), body);
  }
  const plugin = precompress() as unknown as {
    configResolved: (config: { root: string; build: { outDir: string } }) => void;
    closeBundle: () => Promise<void>;
  };
  plugin.configResolved({ root: dir, build: { outDir: 'dist' } });
  await plugin.closeBundle();
  return path.join(dir, 'dist');
}

describe('precompress', () => {
  it('writes brotli and gzip copies that decode to each text file, in nested folders too', async () => {
    const script = `export const text = ${JSON.stringify('berth '.repeat(2000))};\n`;
    const style = `.a{color:red}\n`.repeat(200);
    const out = await build({ 'assets/index-AbCd1234.js': script, 'assets/x/s.css': style });
    for (const [name, body] of [
      ['assets/index-AbCd1234.js', script],
      ['assets/x/s.css', style],
    ] as const) {
      const br = fs.readFileSync(path.join(out, `${name}.br`));
      const gz = fs.readFileSync(path.join(out, `${name}.gz`));
      expect(brotliDecompressSync(br).toString()).toBe(body);
      expect(gunzipSync(gz).toString()).toBe(body);
      expect(br.length).toBeLessThan(body.length / 5);
    }
  });

  it('leaves small files, binary formats and copies that would not be smaller alone', async () => {
    const out = await build({
      'index.html': '<!doctype html><title>Berth</title>',
      'assets/logo.png': Buffer.alloc(4096, 7),
      // Random bytes do not compress: a copy would only be larger.
      'assets/noise.js': randomBytes(4096),
    });
    expect(fs.readdirSync(out, { recursive: true }).sort()).toEqual([
      'assets',
      path.join('assets', 'logo.png'),
      path.join('assets', 'noise.js'),
      'index.html',
    ]);
  });
});
