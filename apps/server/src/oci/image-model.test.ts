import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import {
  buildIndex,
  buildTagSignature,
  sha256Digest,
  type BuiltManifest,
} from '../seed/oci-content.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';
import {
  allBlobs,
  layoutBlob,
  layoutRefDigest,
  randomImage,
  writeLayout,
} from '../testing/oci-layout.js';
import { deleteImage, pullToLayout, pushLayout } from '../testing/skopeo.js';
import { expectOciError } from '../testing/oci-errors.js';

const HOUR = 3_600_000;
const GRACE = 2 * HOUR;

// What an image is made of, seen through real clients: blob links per repository, nested
// indexes, platform order and cosign's tag signatures.
describe('the image model', () => {
  let server: TestServer;
  let host: string;
  let work: string;
  const api = () => server.api();
  const creds = () => ({ creds: `${ADMIN.username}:${server.adminKey}` });
  const fresh = (name: string) => fs.mkdtempSync(path.join(work, `${name}-`));

  const putManifest = (repo: string, reference: string, m: BuiltManifest) =>
    api()
      .put(`/v2/team/${repo}/manifests/${reference}`)
      .set('Content-Type', m.mediaType)
      .serialize((body: Buffer) => body as unknown as string)
      .send(m.bytes);

  /** Blobs, then children (at every level), then the manifest: a client's push order. */
  async function push(repo: string, m: BuiltManifest, reference = m.digest): Promise<void> {
    for (const child of m.children) await push(repo, child);
    for (const b of [...(m.config ? [m.config] : []), ...m.layers]) {
      await api()
        .post(`/v2/team/${repo}/blobs/uploads/?digest=${sha256Digest(b.bytes)}`)
        .set('Content-Type', 'application/octet-stream')
        .send(b.bytes)
        .expect(201);
    }
    await putManifest(repo, reference, m).expect(201);
  }

  const getManifest = (repo: string, reference: string) =>
    api()
      .get(`/v2/team/${repo}/manifests/${reference}`)
      .set(
        'Accept',
        'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json',
      )
      .buffer(true)
      .parse((res, done) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => done(null, Buffer.concat(parts)));
      });

  /** For refusals: the error body parsed as JSON. */
  const missing = (repo: string, reference: string) =>
    api().get(`/v2/team/${repo}/manifests/${reference}`);

  async function images(repo: string) {
    const res = await api().get(apiPaths.images('team', repo)).expect(200);
    return res.body.items as {
      digest: string;
      tags: string[];
      sizeBytes: number;
      platforms: { os: string; architecture: string; digest: string }[];
      referrers: { digest: string; kind: string; type: string | null; tags: string[] }[];
    }[];
  }

  async function imageCount(): Promise<number> {
    const res = await api().get(apiPaths.namespace('team')).expect(200);
    return res.body.imageCount as number;
  }

  /** Every distinct manifest and blob of an image, counted once: its size. */
  function sizeOf(m: BuiltManifest): number {
    return allBlobs(m).reduce((s, b) => s + b.bytes.length, 0);
  }

  function expectSameBytes(pulled: string, ref: string, m: BuiltManifest) {
    expect(layoutRefDigest(pulled, ref)).toBe(m.digest);
    for (const b of allBlobs(m)) expect(layoutBlob(pulled, b.digest).equals(b.bytes)).toBe(true);
  }

  beforeAll(async () => {
    server = await startTestServer({ env: { BERTH_GC_GRACE_MS: String(GRACE) } });
    host = server.url.replace('http://', '');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-model-'));
    await api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' }).expect(201);
  });

  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  describe('blob DELETE', () => {
    it('unlinks a layer of a trashed image; GC keeps its bytes; a restore pulls whole', async () => {
      const image = randomImage({ seed: 'model-blob-delete', layers: 2, layerBytes: 8 * 1024 });
      const source = fresh('src');
      writeLayout(source, [{ manifest: image, ref: 'image' }]);
      await pushLayout(source, 'image', `${host}/team/blobs:1.0`, creds());
      await deleteImage(`${host}/team/blobs@${image.digest}`, creds());
      const layer = image.layers[0]!;
      await api().delete(`/v2/team/blobs/blobs/${layer.digest}`).expect(202);
      const gone = await api().head(`/v2/team/blobs/blobs/${layer.digest}`);
      expect(gone.status).toBe(404);
      // Long past the grace period, GC still keeps bytes a trashed manifest needs.
      server.clock.advance(25 * HOUR);
      await api().post(apiPaths.gcRuns()).send({ dryRun: false }).expect(200);
      expect(server.blobFiles().some((f) => f.includes(layer.digest.slice(7)))).toBe(true);
      await api()
        .post(apiPaths.trashRestore('team'))
        .send({ repository: 'blobs', digest: image.digest })
        .expect(200);
      const pulled = fresh('restored');
      await pullToLayout(`${host}/team/blobs:1.0`, pulled, 'pulled', creds());
      expectSameBytes(pulled, 'pulled', image);
    });
  });

  describe('nested indexes', () => {
    const leaf = (seed: string, architecture: string) =>
      randomImage({ seed, layers: 1, layerBytes: 512, platform: { os: 'linux', architecture } });
    const amd = leaf('nested-amd', 'amd64');
    const arm = leaf('nested-arm', 'arm64');
    const s390 = leaf('nested-s390', 's390x');
    // The inner index lists arm64 before amd64: listings keep that order, not push order.
    const inner = buildIndex([arm, amd]);
    const outer = buildIndex([inner, s390]);

    it('accepts, serves, lists and counts a nested index as one image', async () => {
      const before = await imageCount();
      await push('nested', outer, 'v1');
      for (const ref of ['v1', outer.digest]) {
        const res = await getManifest('nested', ref).expect(200);
        expect(res.headers['content-type']).toBe(outer.mediaType);
        expect((res.body as Buffer).equals(outer.bytes)).toBe(true);
      }
      expect((await getManifest('nested', inner.digest).expect(200)).body).toEqual(inner.bytes);
      const list = await images('nested');
      expect(list.map((i) => i.digest)).toEqual([outer.digest]);
      expect(list[0]!.platforms.map((p) => [p.architecture, p.digest])).toEqual([
        ['arm64', arm.digest],
        ['amd64', amd.digest],
        ['s390x', s390.digest],
      ]);
      expect(list[0]!.sizeBytes).toBe(sizeOf(outer));
      expect(await imageCount()).toBe(before + 1);
      const repos = await api().get(apiPaths.repositories('team')).expect(200);
      expect(repos.body.items).toContainEqual(
        expect.objectContaining({ name: 'nested', imageCount: 1, sizeBytes: sizeOf(outer) }),
      );
    });

    it('trashes and restores the whole nested index as one image', async () => {
      const res = await api().delete(`/v2/team/nested/manifests/${outer.digest}`).expect(202);
      expect(res.status).toBe(202);
      for (const m of [outer, inner, amd, arm, s390]) {
        expectOciError(await missing('nested', m.digest), 404, 'MANIFEST_UNKNOWN');
      }
      const trash = await api().get(apiPaths.trash('team')).query({ repository: 'nested' });
      expect(trash.body.items.map((i: { digest: string }) => i.digest)).toEqual([outer.digest]);
      expect(await images('nested')).toEqual([]);
      await api()
        .post(apiPaths.trashRestore('team'))
        .send({ repository: 'nested', digest: outer.digest })
        .expect(200);
      for (const m of [outer, inner, amd, arm, s390]) {
        await getManifest('nested', m.digest).expect(200);
      }
      const list = await images('nested');
      expect(list.map((i) => [i.digest, i.tags])).toEqual([[outer.digest, ['v1']]]);
    });

    it('a child index another live index holds is refused on its own and survives the other', async () => {
      const other = buildIndex([inner]);
      await push('nested', other, 'v2');
      expect((await images('nested')).map((i) => i.digest).sort()).toEqual(
        [outer.digest, other.digest].sort(),
      );
      expectOciError(
        await api().delete(`/v2/team/nested/manifests/${inner.digest}`),
        409,
        'DENIED',
      );
      // Retention keeps one: the older index goes, the shared child index and its images stay.
      const preview = await api()
        .post(apiPaths.retentionPreviews('team'))
        .send({
          rules: {
            keepCount: 1,
            retainUntagged: false,
            excludeTags: [],
            excludeRepositories: ['blobs', 'sig*'],
          },
        })
        .expect(201);
      const nested = (
        await api().get(apiPaths.retentionPreviewRepositories('team', preview.body.id)).expect(200)
      ).body.items.find((r: { name: string }) => r.name === 'nested');
      expect(nested).toMatchObject({ images: 2, keep: 1, delete: 1 });
      await api()
        .post(apiPaths.retentionRuns('team'))
        .send({ previewId: preview.body.id })
        .expect(201);
      const left = await images('nested');
      expect(left).toHaveLength(1);
      for (const m of [inner, amd, arm]) await getManifest('nested', m.digest).expect(200);
    });

    it('skopeo 1.9.3 refuses to copy a nested index either way; Berth is not the cause', async () => {
      // Recorded client behaviour: containers/image 5.23 copies one level of index only.
      // `copy --all` fails on the child index before any request about it reaches Berth,
      // pushing from a layout and pulling from Berth alike, with "copying image 1/N from
      // manifest list: Unexpectedly received a manifest list instead of a manifest for a
      // single image". Over HTTP Berth serves every level (the tests above).
      const source = fresh('nested-src');
      writeLayout(source, [{ manifest: outer, ref: 'outer' }]);
      const refusal = /manifest list instead of a manifest for a single image/;
      await expect(
        pushLayout(source, 'outer', `${host}/team/nested-skopeo:1`, { all: true, ...creds() }),
      ).rejects.toThrow(refusal);
      await expect(
        pullToLayout(`${host}/team/nested:v2`, fresh('nested-pull'), 'p', {
          all: true,
          ...creds(),
        }),
      ).rejects.toThrow(refusal);
      // What it refused is served whole over HTTP.
      const served = await getManifest('nested', 'v2').expect(200);
      expect(JSON.parse((served.body as Buffer).toString()).manifests[0].digest).toBe(inner.digest);
    });

    it('re-pushing a child index that went to the trash brings it back with its parts', async () => {
      const x = leaf('repush-x', 'amd64');
      const y = leaf('repush-y', 'arm64');
      const child = buildIndex([x, y]);
      const top = buildIndex([child]);
      await push('nested-repush', top, 'v1');
      await api().delete(`/v2/team/nested-repush/manifests/${top.digest}`).expect(202);
      await putManifest('nested-repush', 'child', child).expect(201);
      for (const m of [child, x, y]) await getManifest('nested-repush', m.digest).expect(200);
      expectOciError(await missing('nested-repush', top.digest), 404, 'MANIFEST_UNKNOWN');
      const list = await images('nested-repush');
      expect(list.map((i) => [i.digest, i.tags])).toEqual([[child.digest, ['child']]]);
      expect(list[0]!.platforms.map((p) => p.digest)).toEqual([x.digest, y.digest]);
    });

    it('refuses indexes nested deeper than 8 levels with MANIFEST_INVALID', async () => {
      let level: BuiltManifest = leaf('deep-leaf', 'amd64');
      const chain: BuiltManifest[] = [];
      for (let depth = 1; depth <= 9; depth++) {
        level = buildIndex([level]);
        chain.push(level);
      }
      // Eight levels are accepted, pushed one at a time from the bottom.
      await push('deep', chain[7]!, 'eight');
      const res = await putManifest('deep', 'nine', chain[8]!);
      expectOciError(res, 400, 'MANIFEST_INVALID');
      expect(res.body.errors[0].message).toContain('at most 8 levels');
      expectOciError(await missing('deep', 'nine'), 404, 'MANIFEST_UNKNOWN');
    });
  });

  describe('cosign tag signatures', () => {
    const image = randomImage({ seed: 'signed-image', layers: 1, layerBytes: 512 });
    const signature = buildTagSignature(image, 'signed-image');
    const sigTag = `${image.digest.replace(':', '-')}.sig`;

    async function tagsList(repo: string): Promise<string[]> {
      const res = await api().get(`/v2/team/${repo}/tags/list`).expect(200);
      return res.body.tags as string[];
    }

    it('a signature pushed after its image is shown on it, not as an image', async () => {
      const before = await imageCount();
      await push('signed', image, '1.0');
      await push('signed', signature, sigTag);
      const list = await images('signed');
      expect(list.map((i) => i.digest)).toEqual([image.digest]);
      expect(list[0]!.referrers).toEqual([
        {
          digest: signature.digest,
          artifactType: null,
          mediaType: signature.mediaType,
          kind: 'tag-signature',
          type: 'signature',
          tags: [sigTag],
        },
      ]);
      expect(await imageCount()).toBe(before + 1);
      // cosign still finds it by tag; the referrers API is for subject-based referrers only.
      const byTag = await getManifest('signed', sigTag).expect(200);
      expect((byTag.body as Buffer).equals(signature.bytes)).toBe(true);
      const referrers = await api().get(`/v2/team/signed/referrers/${image.digest}`).expect(200);
      expect(referrers.body.manifests).toEqual([]);
      // Retention does not count it: the repository has one image.
      const preview = await api()
        .post(apiPaths.retentionPreviews('team'))
        .send({
          rules: { keepCount: 1, retainUntagged: false, excludeTags: [], excludeRepositories: [] },
        })
        .expect(201);
      const signed = (
        await api().get(apiPaths.retentionPreviewRepositories('team', preview.body.id)).expect(200)
      ).body.items.find((r: { name: string }) => r.name === 'signed');
      expect(signed).toMatchObject({ images: 1, keep: 1, delete: 0 });
    });

    it('goes to the trash with its image and comes back with its tag', async () => {
      await api().delete(`/v2/team/signed/manifests/${image.digest}`).expect(202);
      expectOciError(await missing('signed', sigTag), 404, 'MANIFEST_UNKNOWN');
      expect(await tagsList('signed')).toEqual([]);
      const trash = await api().get(apiPaths.trash('team')).query({ repository: 'signed' });
      expect(trash.body.items.map((i: { digest: string }) => i.digest)).toEqual([image.digest]);
      await api()
        .post(apiPaths.trashRestore('team'))
        .send({ repository: 'signed', digest: image.digest })
        .expect(200);
      expect(await tagsList('signed')).toEqual(['1.0', sigTag]);
      const list = await images('signed');
      expect(list.map((i) => i.referrers.map((r) => [r.digest, r.kind, r.tags]))).toEqual([
        [[signature.digest, 'tag-signature', [sigTag]]],
      ]);
    });

    it('a signature pushed before its image is linked to it when the image arrives', async () => {
      const later = randomImage({ seed: 'signed-later', layers: 1, layerBytes: 512 });
      const early = buildTagSignature(later, 'signed-later');
      const tag = `${later.digest.replace(':', '-')}.att`;
      const before = await imageCount();
      await push('signed-early', early, tag);
      // Alone, it is all there is to show.
      expect((await images('signed-early')).map((i) => i.digest)).toEqual([early.digest]);
      await push('signed-early', later, 'v1');
      const list = await images('signed-early');
      expect(list.map((i) => i.digest)).toEqual([later.digest]);
      expect(list[0]!.referrers).toEqual([
        expect.objectContaining({
          digest: early.digest,
          kind: 'tag-signature',
          type: 'attestation',
        }),
      ]);
      expect(await imageCount()).toBe(before + 1);
      const repos = await api().get(apiPaths.repositories('team')).expect(200);
      expect(repos.body.items).toContainEqual(
        expect.objectContaining({ name: 'signed-early', imageCount: 1, sizeBytes: sizeOf(later) }),
      );
    });
  });
});

describe('the demo data', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ demo: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('shows a nested index as one image and a cosign tag signature on its image', async () => {
    const api = () => server.api();
    const toolbox = await api().get(apiPaths.images('demo-infra', 'multiarch/toolbox')).expect(200);
    expect(toolbox.body.items).toHaveLength(1);
    expect(
      toolbox.body.items[0].platforms.map((p: { architecture: string }) => p.architecture),
    ).toEqual(['amd64', 'arm64', 'amd64']);
    const payments = await api().get(apiPaths.images('demo-shop', 'payments')).expect(200);
    const signed = payments.body.items.filter((i: { referrers: { kind: string }[] }) =>
      i.referrers.some((r) => r.kind === 'tag-signature'),
    );
    expect(signed).toHaveLength(1);
    expect(signed[0].referrers).toContainEqual(
      expect.objectContaining({ kind: 'tag-signature', type: 'signature' }),
    );
    // No signature shows up as an image of its own.
    for (const item of payments.body.items as { tags: string[] }[]) {
      expect(item.tags.some((t) => t.endsWith('.sig'))).toBe(false);
    }
  });
});
