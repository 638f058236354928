// Benchmark inputs: OCI image layouts on disk (for skopeo) and small in-memory images (for
// the HTTP push client). Layer content is random, so it is incompressible.
//
// Layers on disk are gzip at level 0 (stored deflate blocks): skopeo 1.9 compresses any
// uncompressed layer it pushes to a registry (containers/image copies to a docker://
// destination with DesiredLayerCompression = Compress), which would put skopeo's gzip time
// inside the push figure. A stored-block gzip layer is pushed as it is, costs ~0.01 % in
// size, and is written once here, outside any timing.
import { Buffer } from 'node:buffer';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import zlib from 'node:zlib';
import { MiB } from '../lib/process.mjs';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  layerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
};

export const REF_NAME = 'bench';
const MARKER = 'bench-layout.json';
const CREATED = '2024-01-01T00:00:00Z';

const sha256 = (buf) => `sha256:${crypto.createHash('sha256').update(buf).digest('hex')}`;

/** A ustar header for one regular file, dated `created` (an ISO time). */
export function tarHeader(name, size, created = CREATED) {
  const h = Buffer.alloc(512, 0);
  const field = (offset, length, value) => h.write(value, offset, length, 'ascii');
  const octal = (n, width) => `${n.toString(8).padStart(width - 1, '0')}\0`;
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(size, 12));
  field(136, 12, octal(Date.parse(created) / 1000, 12));
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  field(265, 32, 'root');
  field(297, 32, 'root');
  let sum = 0;
  for (const b of h) sum += b;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A whole tar (one file of `contentBytes` random bytes) in memory. */
function smallTar(name, contentBytes) {
  const pad = (512 - (contentBytes % 512)) % 512;
  return Buffer.concat([
    tarHeader(name, contentBytes),
    crypto.randomBytes(contentBytes),
    Buffer.alloc(pad + 1024, 0),
  ]);
}

function configJson(diffIds, label) {
  return Buffer.from(
    JSON.stringify({
      created: CREATED,
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'berth.bench': label } },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: CREATED, created_by: 'bench/registry' })),
    }),
  );
}

function manifestJson(config, layers) {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
}

/** Streams a tar of one random file of `bytes` through gzip level 0 into blobs/sha256/. */
async function writeRandomLayer(blobsDir, name, bytes) {
  const tmp = path.join(blobsDir, `.tmp-${process.pid}-${crypto.randomUUID()}`);
  const diffHash = crypto.createHash('sha256');
  const blobHash = crypto.createHash('sha256');
  const gz = zlib.createGzip({ level: 0, chunkSize: 256 * 1024 });
  const out = fs.createWriteStream(tmp);
  let size = 0;
  gz.on('data', (c) => {
    blobHash.update(c);
    size += c.length;
  });
  gz.pipe(out);
  const write = async (chunk) => {
    diffHash.update(chunk);
    if (!gz.write(chunk)) await once(gz, 'drain');
  };
  await write(tarHeader(name, bytes));
  for (let left = bytes; left > 0;) {
    const n = Math.min(left, MiB);
    await write(crypto.randomFillSync(Buffer.allocUnsafe(n)));
    left -= n;
  }
  await write(Buffer.alloc(((512 - (bytes % 512)) % 512) + 1024, 0));
  gz.end();
  await finished(out);
  const digest = `sha256:${blobHash.digest('hex')}`;
  fs.renameSync(tmp, path.join(blobsDir, digest.slice(7)));
  return {
    mediaType: MEDIA.layerTarGzip,
    digest,
    size,
    diffId: `sha256:${diffHash.digest('hex')}`,
  };
}

function readMarker(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
  } catch {
    return null;
  }
}

function layoutIntact(dir, marker) {
  const blob = (d) => path.join(dir, 'blobs', 'sha256', d.slice(7));
  const blobs = [
    ...marker.layers,
    { digest: marker.config.digest, size: marker.config.size },
    { digest: marker.manifest.digest, size: marker.manifest.size },
  ];
  return blobs.every((b) => {
    try {
      return fs.statSync(blob(b.digest)).size === b.size;
    } catch {
      return false;
    }
  });
}

/**
 * An OCI layout at `dir` holding one image of `layers` random layers of `layerMiB` MiB each,
 * tagged `bench` (org.opencontainers.image.ref.name). Reused when it exists with the same
 * parameters and every blob has its recorded size.
 */
export async function ensureLayout(dir, { layers, layerMiB }) {
  const params = { layers, layerMiB, compression: 'gzip-0' };
  const existing = readMarker(dir);
  if (
    existing &&
    JSON.stringify(existing.params) === JSON.stringify(params) &&
    layoutIntact(dir, existing)
  ) {
    return { ...existing, dir, reused: true };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const blobsDir = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobsDir, { recursive: true });
  const started = Date.now();
  const built = [];
  for (let i = 0; i < layers; i++) {
    built.push(await writeRandomLayer(blobsDir, `bench/layer-${i}.bin`, layerMiB * MiB));
  }
  const configBuf = configJson(
    built.map((l) => l.diffId),
    `${layers}x${layerMiB}MiB`,
  );
  const config = { digest: sha256(configBuf), size: configBuf.length };
  fs.writeFileSync(path.join(blobsDir, config.digest.slice(7)), configBuf);
  const manifestBuf = manifestJson(config, built);
  const manifest = { digest: sha256(manifestBuf), size: manifestBuf.length };
  fs.writeFileSync(path.join(blobsDir, manifest.digest.slice(7)), manifestBuf);
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [
        {
          mediaType: MEDIA.ociManifest,
          digest: manifest.digest,
          size: manifest.size,
          annotations: { 'org.opencontainers.image.ref.name': REF_NAME },
        },
      ],
    }),
  );
  const record = {
    params,
    manifest,
    config,
    layers: built,
    layerBytes: built.reduce((s, l) => s + l.size, 0),
    generatedAt: new Date().toISOString(),
    generateSeconds: (Date.now() - started) / 1000,
  };
  fs.writeFileSync(path.join(dir, MARKER), `${JSON.stringify(record, null, 2)}\n`);
  return { ...record, dir, reused: false };
}

/** Reads every blob once so the first timed push does not pay for a cold page cache. */
export async function warmLayout(layout) {
  const buf = Buffer.allocUnsafe(4 * MiB);
  for (const l of layout.layers) {
    const fd = fs.openSync(path.join(layout.dir, 'blobs', 'sha256', l.digest.slice(7)), 'r');
    try {
      while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/**
 * `count` small images, each one unique uncompressed tar layer of `layerBytes` (rounded to the
 * tar's 512-byte records) plus its config and OCI manifest, tagged t000, t001, ...
 */
export function smallImages(count, layerBytes) {
  const width = Math.max(3, String(count - 1).length);
  const content = Math.max(512, layerBytes - 1536);
  const images = [];
  for (let i = 0; i < count; i++) {
    const tag = `t${String(i).padStart(width, '0')}`;
    const layerBuf = smallTar(`bench/${tag}.bin`, content);
    const layer = {
      mediaType: MEDIA.layerTar,
      digest: sha256(layerBuf),
      size: layerBuf.length,
      body: layerBuf,
    };
    const configBuf = configJson([layer.digest], tag);
    const config = { digest: sha256(configBuf), size: configBuf.length, body: configBuf };
    const manifestBuf = manifestJson(config, [layer]);
    images.push({
      tag,
      blobs: [layer, config],
      manifest: { digest: sha256(manifestBuf), body: manifestBuf, mediaType: MEDIA.ociManifest },
    });
  }
  return images;
}
