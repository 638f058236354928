import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { MEDIA_TYPES } from '../seed/oci-content.js';
import { digestOf, json, pushArtifact, putManifest } from '../testing/registry-client.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

// The referrers API's artifactType (distribution-spec v1.1): the manifest's artifactType,
// else its config's media type (an image config too), else none for an index; the
// ?artifactType= filter compares that same value.

let server: TestServer;
const api = () => server.api();
const REPO = 'team/refs';
const SBOM = 'application/vnd.example.sbom.v1+json';
const ATTESTATIONS = 'application/vnd.example.attestations.v1';

interface Listed {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

async function referrers(digest: string, artifactType?: string) {
  const req = api().get(`/v2/${REPO}/referrers/${digest}`);
  if (artifactType !== undefined) req.query({ artifactType });
  const res = await req.expect(200);
  expect(res.headers['content-type']).toBe(MEDIA_TYPES.index);
  return {
    filters: res.headers['oci-filters-applied'],
    manifests: (JSON.parse(res.text) as { manifests: Listed[] }).manifests,
  };
}

beforeAll(async () => {
  server = await startTestServer();
  await api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' }).expect(201);
});

afterAll(async () => {
  await server?.stop();
});

describe('GET /v2/<name>/referrers/<digest>', () => {
  it('lists each referrer with its artifactType, else its config media type, else none', async () => {
    const subject = await pushArtifact(server, REPO, 'subject');
    const about = {
      mediaType: subject.mediaType,
      digest: subject.digest,
      size: subject.bytes.length,
    };
    // An image manifest with an ordinary image config and no artifactType.
    const plain = await pushArtifact(server, REPO, 'plain', {
      extra: { subject: about, annotations: { 'org.example.kind': 'plain' } },
    });
    // An empty artifactType counts as missing.
    const sbom = await pushArtifact(server, REPO, 'sbom', {
      configType: SBOM,
      extra: { artifactType: '', subject: about },
    });
    const index = (extra: Record<string, unknown>) => {
      const bytes = json({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.index,
        manifests: [about],
        subject: about,
        ...extra,
      });
      return { mediaType: MEDIA_TYPES.index, bytes, digest: digestOf(bytes) };
    };
    const bare = index({ annotations: { 'org.example.kind': 'bare index' } });
    const typed = index({ artifactType: ATTESTATIONS });
    for (const m of [bare, typed]) await putManifest(server, REPO, m.digest, m).expect(201);

    const all = await referrers(subject.digest);
    expect(all.filters).toBeUndefined();
    expect(all.manifests).toEqual([
      {
        mediaType: MEDIA_TYPES.manifest,
        digest: plain.digest,
        size: plain.bytes.length,
        artifactType: MEDIA_TYPES.config,
        annotations: { 'org.example.kind': 'plain' },
      },
      {
        mediaType: MEDIA_TYPES.manifest,
        digest: sbom.digest,
        size: sbom.bytes.length,
        artifactType: SBOM,
      },
      {
        mediaType: MEDIA_TYPES.index,
        digest: bare.digest,
        size: bare.bytes.length,
        annotations: { 'org.example.kind': 'bare index' },
      },
      {
        mediaType: MEDIA_TYPES.index,
        digest: typed.digest,
        size: typed.bytes.length,
        artifactType: ATTESTATIONS,
      },
    ]);

    // The filter matches the listed value, config fallback included.
    const byConfig = await referrers(subject.digest, MEDIA_TYPES.config);
    expect(byConfig.filters).toBe('artifactType');
    expect(byConfig.manifests.map((m) => m.digest)).toEqual([plain.digest]);
    expect((await referrers(subject.digest, SBOM)).manifests.map((m) => m.digest)).toEqual([
      sbom.digest,
    ]);
    expect((await referrers(subject.digest, ATTESTATIONS)).manifests.map((m) => m.digest)).toEqual([
      typed.digest,
    ]);
    const none = await referrers(subject.digest, 'application/vnd.example.nothing');
    expect(none).toEqual({ filters: 'artifactType', manifests: [] });
  });
});

describe('paging referrers', () => {
  /** Follows `Link: <…>; rel="next"` from the first page; every page is an index. */
  async function allPages(first: string) {
    const pages: string[][] = [];
    for (let url: string | undefined = first; url !== undefined;) {
      const res: { headers: Record<string, string>; text: string } = await api()
        .get(url)
        .expect(200);
      expect(res.headers['content-type']).toBe(MEDIA_TYPES.index);
      pages.push((JSON.parse(res.text) as { manifests: Listed[] }).manifests.map((m) => m.digest));
      url = /^<([^>]+)>; rel="next"$/.exec(res.headers['link'] ?? '')?.[1];
    }
    return pages;
  }

  it('lists every referrer across pages joined by Link headers, the filter kept', async () => {
    const subject = await pushArtifact(server, REPO, 'paged subject');
    const about = {
      mediaType: subject.mediaType,
      digest: subject.digest,
      size: subject.bytes.length,
    };
    const pushed: { digest: string; sbom: boolean }[] = [];
    for (let i = 0; i < 5; i += 1) {
      const sbom = i % 2 === 0;
      const m = await pushArtifact(server, REPO, `paged ${i}`, {
        ...(sbom ? { configType: SBOM } : {}),
        extra: { subject: about },
      });
      pushed.push({ digest: m.digest, sbom });
    }

    const base = `/v2/${REPO}/referrers/${subject.digest}`;
    const pages = await allPages(`${base}?n=2`);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(pushed.map((p) => p.digest));

    // A filtered page may hold fewer than n; together they hold exactly the matches.
    const filtered = await allPages(`${base}?n=2&artifactType=${encodeURIComponent(SBOM)}`);
    expect(filtered.flat()).toEqual(pushed.filter((p) => p.sbom).map((p) => p.digest));

    const bad = await api().get(`${base}?last=abc`).expect(400);
    expect(bad.body.errors[0].code).toBe('PAGINATION_NUMBER_INVALID');
  });
});
