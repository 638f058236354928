import { describe, expect, it } from 'vitest';
import { OCI_ZSTD, layerOf, tarOf, zstd } from '../../../testing/layer-fixtures.js';
import { LayerRejectedError, collectFiles } from './layer-walker.js';
import { MAX_ZSTD_WINDOW, declaredWindow } from './zstd-window.js';

/** A frame header (magic, descriptor, window descriptor) padded past what fzstd waits for. */
function frameHeader(descriptor: number, windowDescriptor: number): Buffer {
  return Buffer.concat([
    Buffer.from([0x28, 0xb5, 0x2f, 0xfd, descriptor, windowDescriptor]),
    Buffer.alloc(32),
  ]);
}

describe('zstd window limit', () => {
  it('reads the window a real frame declares, within the limit', async () => {
    const real = zstd(await tarOf([{ path: 'etc/hostname', content: 'berth\n' }]));
    const window = declaredWindow(real);
    expect(window).not.toBeNull();
    expect(window!).toBeLessThanOrEqual(MAX_ZSTD_WINDOW);
    expect(declaredWindow(Buffer.from('not zstd at all'))).toBeNull();
  });

  it('computes windows from the descriptor and from a single segment content size', () => {
    // Exponent 17 (2^27 = 128 MiB), mantissa 0: exactly the limit.
    expect(declaredWindow(frameHeader(0x00, 17 << 3))).toBe(128 * 1024 * 1024);
    // Exponent 21 (2 GiB), mantissa 7: 2 GiB + 7/8.
    expect(declaredWindow(frameHeader(0x00, (21 << 3) | 7))).toBe(2 ** 31 + 7 * 2 ** 28);
    // Single segment, 4 content-size bytes (flag 2): the content size is the window.
    const single = Buffer.concat([
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd, (2 << 6) | (1 << 5)]),
      Buffer.from([0x00, 0x00, 0x00, 0x40]),
      Buffer.alloc(16),
    ]);
    expect(declaredWindow(single)).toBe(0x40000000);
  });

  it('refuses a layer whose frame asks for a 2 GiB window, before allocating it', async () => {
    const hostile = layerOf(frameHeader(0x00, 21 << 3), OCI_ZSTD);
    const before = process.memoryUsage().arrayBuffers;
    const refused = await collectFiles([hostile], () => 1024).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LayerRejectedError);
    expect((refused as Error).message).toContain('asks for a 2048 MiB window');
    // fzstd would have allocated the 2 GiB window had the header reached it.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(256 * 1024 * 1024);
  });
});
