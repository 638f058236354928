import { describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import {
  MANIFEST_MEDIA_TYPES,
  hasFilesystem,
  isIndexMediaType,
  isSupportedManifestType,
  parseManifest,
  readImageConfig,
} from './oci-manifest.js';

const OCI_MANIFEST = MANIFEST_MEDIA_TYPES.ociManifest;
const OCI_INDEX = MANIFEST_MEDIA_TYPES.ociIndex;
const DOCKER_MANIFEST = MANIFEST_MEDIA_TYPES.dockerManifest;
const DOCKER_LIST = MANIFEST_MEDIA_TYPES.dockerList;
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const desc = (mediaType: string, c: string, size = 10) => ({ mediaType, digest: d(c), size });
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

const ociImage = {
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: desc(OCI_CONFIG, 'c', 100),
  layers: [desc(OCI_LAYER, '1', 1000), desc(OCI_LAYER, '2', 2000)],
  annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
};

const ociIndex = {
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [
    { ...desc(OCI_MANIFEST, 'a', 500), platform: { os: 'linux', architecture: 'amd64' } },
    {
      ...desc(OCI_MANIFEST, 'b', 501),
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    // Attestations and the like may carry no platform at all.
    desc(OCI_MANIFEST, 'e', 502),
  ],
};

/** The MANIFEST_INVALID error parseManifest throws, with its message. */
function invalid(value: unknown, contentType?: string): string {
  const input = value instanceof Uint8Array ? value : bytes(value);
  let caught: unknown;
  try {
    parseManifest(input, contentType);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InputError);
  expect(caught).toMatchObject({ code: 'MANIFEST_INVALID', kind: 'input' });
  return (caught as Error).message;
}

describe('parseManifest: image manifests', () => {
  it('reads an OCI image manifest', () => {
    expect(parseManifest(bytes(ociImage), OCI_MANIFEST)).toEqual({
      mediaType: OCI_MANIFEST,
      kind: 'image',
      artifactType: null,
      referrerArtifactType: OCI_CONFIG,
      config: desc(OCI_CONFIG, 'c', 100),
      layers: [desc(OCI_LAYER, '1', 1000), desc(OCI_LAYER, '2', 2000)],
      children: [],
      subject: null,
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    });
  });

  it('reads a Docker schema 2 manifest; its config is an image config', () => {
    const docker = {
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: desc(DOCKER_CONFIG, 'c', 7),
      layers: [desc(DOCKER_LAYER, '1', 70)],
    };
    expect(parseManifest(bytes(docker), DOCKER_MANIFEST)).toMatchObject({
      mediaType: DOCKER_MANIFEST,
      kind: 'image',
      artifactType: null,
      config: desc(DOCKER_CONFIG, 'c', 7),
      layers: [desc(DOCKER_LAYER, '1', 70)],
      annotations: {},
    });
  });

  it('takes the media type from the body, else the Content-Type, else the shape', () => {
    const { mediaType: _omit, ...bare } = ociImage;
    // The body wins over an unsupported or missing header.
    expect(parseManifest(bytes(ociImage), 'application/json').mediaType).toBe(OCI_MANIFEST);
    expect(parseManifest(bytes(ociImage), undefined).mediaType).toBe(OCI_MANIFEST);
    // Without one in the body, a supported header decides, parameters and case aside.
    expect(parseManifest(bytes(bare), `${DOCKER_MANIFEST}; charset=utf-8`).mediaType).toBe(
      DOCKER_MANIFEST,
    );
    expect(parseManifest(bytes(bare), OCI_MANIFEST.toUpperCase()).mediaType).toBe(OCI_MANIFEST);
    // Neither: an image manifest unless it has "manifests".
    expect(parseManifest(bytes(bare), undefined)).toMatchObject({
      mediaType: OCI_MANIFEST,
      kind: 'image',
    });
    expect(parseManifest(bytes(bare), 'application/octet-stream').mediaType).toBe(OCI_MANIFEST);
    const { mediaType: _omitIndex, ...bareIndex } = ociIndex;
    expect(parseManifest(bytes(bareIndex), undefined)).toMatchObject({
      mediaType: OCI_INDEX,
      kind: 'index',
    });
  });

  it('takes artifactType from the field, else from a config that is not an image config', () => {
    const sbom = 'application/vnd.example.sbom.v1+json';
    const signature = 'application/vnd.dev.cosign.artifact.sig.v1+json';
    const empty = 'application/vnd.oci.empty.v1+json';
    expect(
      parseManifest(bytes({ ...ociImage, config: desc(sbom, 'c', 2) }), OCI_MANIFEST).artifactType,
    ).toBe(sbom);
    expect(
      parseManifest(bytes({ ...ociImage, config: desc(empty, 'c', 2) }), OCI_MANIFEST).artifactType,
    ).toBe(empty);
    // The field wins over the config's media type.
    expect(
      parseManifest(
        bytes({ ...ociImage, artifactType: signature, config: desc(empty, 'c', 2) }),
        OCI_MANIFEST,
      ).artifactType,
    ).toBe(signature);
    expect(
      parseManifest(bytes({ ...ociImage, artifactType: signature }), OCI_MANIFEST).artifactType,
    ).toBe(signature);
    // Image configs, OCI or Docker, make an image, not an artifact.
    for (const config of [OCI_CONFIG, DOCKER_CONFIG]) {
      expect(
        parseManifest(bytes({ ...ociImage, config: desc(config, 'c') }), OCI_MANIFEST).artifactType,
      ).toBeNull();
    }
    // An empty artifactType is a missing one.
    expect(
      parseManifest(
        bytes({ ...ociImage, artifactType: '', config: desc(sbom, 'c', 2) }),
        OCI_MANIFEST,
      ).artifactType,
    ).toBe(sbom);
  });

  it('lists for referrers the artifactType, else any config media type, else none (an index)', () => {
    const signature = 'application/vnd.dev.cosign.artifact.sig.v1+json';
    const referrerType = (doc: unknown, type: string) =>
      parseManifest(bytes(doc), type).referrerArtifactType;
    // The spec's MUST: an image manifest without artifactType is listed with its config type,
    // an image config included.
    expect(referrerType(ociImage, OCI_MANIFEST)).toBe(OCI_CONFIG);
    expect(referrerType({ ...ociImage, artifactType: '' }, OCI_MANIFEST)).toBe(OCI_CONFIG);
    expect(referrerType({ ...ociImage, artifactType: signature }, OCI_MANIFEST)).toBe(signature);
    expect(referrerType(ociIndex, OCI_INDEX)).toBeNull();
    expect(referrerType({ ...ociIndex, artifactType: '' }, OCI_INDEX)).toBeNull();
    expect(referrerType({ ...ociIndex, artifactType: signature }, OCI_INDEX)).toBe(signature);
  });

  it('accepts sha512 descriptors', () => {
    const config = { ...desc(OCI_CONFIG, 'c', 2), digest: `sha512:${'c'.repeat(128)}` };
    expect(parseManifest(bytes({ ...ociImage, config }), OCI_MANIFEST).config).toEqual(config);
  });

  it('leaves out foreign and non-distributable layers, after checking them', () => {
    const manifest = {
      ...ociImage,
      layers: [
        {
          ...desc('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', '3', 30),
          urls: ['https://example.com/layer'],
        },
        desc(OCI_LAYER, '1', 1000),
        desc('application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', '4', 40),
      ],
    };
    expect(parseManifest(bytes(manifest), OCI_MANIFEST).layers).toEqual([
      desc(OCI_LAYER, '1', 1000),
    ]);
    expect(
      invalid({ ...manifest, layers: [{ mediaType: 'application/x.foreign', digest: 'x' }] }),
    ).toContain('layers[0].digest');
  });

  it('reads the subject', () => {
    const subject = desc(OCI_MANIFEST, 'f', 321);
    expect(parseManifest(bytes({ ...ociImage, subject }), OCI_MANIFEST).subject).toEqual(subject);
    expect(parseManifest(bytes({ ...ociIndex, subject }), OCI_INDEX).subject).toEqual(subject);
  });

  it('accepts an image manifest without layers', () => {
    expect(parseManifest(bytes({ ...ociImage, layers: [] }), OCI_MANIFEST).layers).toEqual([]);
  });
});

describe('parseManifest: indexes', () => {
  it('reads an OCI index with platforms', () => {
    expect(parseManifest(bytes(ociIndex), OCI_INDEX)).toEqual({
      mediaType: OCI_INDEX,
      kind: 'index',
      artifactType: null,
      referrerArtifactType: null,
      config: null,
      layers: [],
      children: [
        {
          ...desc(OCI_MANIFEST, 'a', 500),
          platform: { os: 'linux', architecture: 'amd64', variant: null },
        },
        {
          ...desc(OCI_MANIFEST, 'b', 501),
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
        { ...desc(OCI_MANIFEST, 'e', 502), platform: null },
      ],
      subject: null,
      annotations: {},
    });
  });

  it('reads a Docker manifest list', () => {
    const list = {
      schemaVersion: 2,
      mediaType: DOCKER_LIST,
      manifests: [
        {
          ...desc(DOCKER_MANIFEST, 'a', 500),
          platform: { os: 'windows', architecture: 'amd64', 'os.version': '10.0' },
        },
      ],
    };
    expect(parseManifest(bytes(list), DOCKER_LIST)).toMatchObject({
      mediaType: DOCKER_LIST,
      kind: 'index',
      children: [
        {
          ...desc(DOCKER_MANIFEST, 'a', 500),
          platform: { os: 'windows', architecture: 'amd64', variant: null },
        },
      ],
    });
  });

  it('takes an index artifactType only from its field', () => {
    expect(parseManifest(bytes(ociIndex), OCI_INDEX).artifactType).toBeNull();
    expect(
      parseManifest(bytes({ ...ociIndex, artifactType: 'application/x.bundle' }), OCI_INDEX)
        .artifactType,
    ).toBe('application/x.bundle');
  });

  it('knows which media types are indexes and which are supported', () => {
    expect([OCI_INDEX, DOCKER_LIST].map(isIndexMediaType)).toEqual([true, true]);
    expect([OCI_MANIFEST, DOCKER_MANIFEST, 'application/json'].map(isIndexMediaType)).toEqual([
      false,
      false,
      false,
    ]);
    expect(
      [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].every(isSupportedManifestType),
    ).toBe(true);
    expect(isSupportedManifestType('application/vnd.oci.artifact.manifest.v1+json')).toBe(false);
  });
});

describe('parseManifest: every MANIFEST_INVALID', () => {
  it('refuses bytes that are not UTF-8 JSON', () => {
    expect(invalid(new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]))).toBe(
      'manifest is not valid UTF-8 JSON',
    );
    expect(invalid(new TextEncoder().encode('{"schemaVersion": 2,'))).toBe(
      'manifest is not valid UTF-8 JSON',
    );
    expect(invalid(new Uint8Array())).toBe('manifest is not valid UTF-8 JSON');
  });

  it('refuses JSON that is not an object', () => {
    for (const doc of [[], null, 'manifest', 2]) {
      expect(invalid(doc)).toBe('manifest must be a JSON object');
    }
  });

  it('refuses a schemaVersion other than 2', () => {
    for (const schemaVersion of [1, '2', 3, undefined, null]) {
      expect(invalid({ ...ociImage, schemaVersion })).toBe('manifest schemaVersion must be 2');
    }
  });

  it('refuses a mediaType that is not a string, or that contradicts the Content-Type', () => {
    expect(invalid({ ...ociImage, mediaType: 42 })).toBe('mediaType must be a string');
    expect(invalid(ociImage, OCI_INDEX)).toContain(`does not match the Content-Type ${OCI_INDEX}`);
    expect(invalid(ociImage, DOCKER_MANIFEST)).toContain('does not match');
    expect(invalid(ociIndex, `${OCI_MANIFEST}; charset=utf-8`)).toContain('does not match');
  });

  it('refuses media types it does not support', () => {
    for (const mediaType of [
      'application/vnd.oci.artifact.manifest.v1+json',
      'application/vnd.docker.distribution.manifest.v1+prettyjws',
      '',
    ]) {
      expect(invalid({ ...ociImage, mediaType })).toContain('is not supported');
    }
  });

  it('refuses a non-string artifactType, a bad subject and bad annotations', () => {
    expect(invalid({ ...ociImage, artifactType: 1 })).toBe('artifactType must be a string');
    expect(invalid({ ...ociImage, subject: 'sha256:abc' })).toBe(
      'subject must be a descriptor object',
    );
    expect(invalid({ ...ociImage, subject: null })).toBe('subject must be a descriptor object');
    expect(invalid({ ...ociImage, subject: { ...desc(OCI_MANIFEST, 'f'), size: -1 } })).toBe(
      'subject.size must be a non-negative integer',
    );
    for (const annotations of [null, [], 'x', { a: 1 }, { a: 'ok', b: null }]) {
      expect(invalid({ ...ociImage, annotations })).toBe('annotations must map strings to strings');
    }
  });

  it('refuses an image manifest without a config descriptor or a layers array', () => {
    const { config: _config, ...noConfig } = ociImage;
    expect(invalid(noConfig)).toBe('config must be a descriptor object');
    expect(invalid({ ...ociImage, config: [desc(OCI_CONFIG, 'c')] })).toBe(
      'config must be a descriptor object',
    );
    const { layers: _layers, ...noLayers } = ociImage;
    expect(invalid(noLayers)).toBe('an image manifest must have a "layers" array');
    expect(invalid({ ...ociImage, layers: {} })).toBe(
      'an image manifest must have a "layers" array',
    );
    expect(invalid({ ...ociImage, layers: [desc(OCI_LAYER, '1'), 'layer'] })).toBe(
      'layers[1] must be a descriptor object',
    );
  });

  it('refuses descriptors with a bad media type, digest or size', () => {
    const withConfig = (config: Record<string, unknown>) => invalid({ ...ociImage, config });
    const good = desc(OCI_CONFIG, 'c');
    for (const mediaType of [undefined, '', 'x'.repeat(256), 7]) {
      expect(withConfig({ ...good, mediaType })).toBe('config.mediaType must be a media type');
    }
    for (const digest of [
      undefined,
      d('A'),
      `sha256:${'a'.repeat(63)}`,
      `sha512:${'a'.repeat(64)}`,
      `md5:${'a'.repeat(32)}`,
      'a'.repeat(64),
      `sha256:${'a'.repeat(64)}\n`,
    ]) {
      expect(withConfig({ ...good, digest })).toBe(
        'config.digest must be a sha256 or sha512 digest ("sha256:" and 64 lowercase hex digits, or "sha512:" and 128)',
      );
    }
    for (const size of [undefined, -1, 1.5, '10', Number.MAX_SAFE_INTEGER + 1, null]) {
      expect(withConfig({ ...good, size })).toBe('config.size must be a non-negative integer');
    }
    // The limits themselves are fine.
    expect(
      parseManifest(
        bytes({ ...ociImage, config: { ...good, mediaType: 'x'.repeat(255), size: 0 } }),
        OCI_MANIFEST,
      ).config,
    ).toEqual({ ...good, mediaType: 'x'.repeat(255), size: 0 });
  });

  it('refuses an index without a manifests array', () => {
    const { manifests: _manifests, ...noManifests } = ociIndex;
    expect(invalid(noManifests)).toBe('an index must have a "manifests" array');
    expect(invalid({ ...ociIndex, manifests: {} })).toBe('an index must have a "manifests" array');
    // An image manifest sent as an index, by header only, has no manifests either.
    const { mediaType: _omit, ...bare } = ociImage;
    expect(invalid(bare, OCI_INDEX)).toBe('an index must have a "manifests" array');
  });

  it('accepts indexes as index children (nested indexes)', () => {
    for (const mediaType of [OCI_INDEX, DOCKER_LIST]) {
      const parsed = parseManifest(
        Buffer.from(JSON.stringify({ ...ociIndex, manifests: [desc(mediaType, 'a')] })),
        OCI_INDEX,
      );
      expect(parsed.children.map((c) => c.mediaType)).toEqual([mediaType]);
    }
  });

  it('refuses index children that are neither image manifests nor indexes', () => {
    for (const mediaType of ['application/vnd.oci.artifact.manifest.v1+json', OCI_LAYER]) {
      expect(invalid({ ...ociIndex, manifests: [desc(mediaType, 'a')] })).toBe(
        'manifests[0] must be an image manifest or an index',
      );
    }
    expect(invalid({ ...ociIndex, manifests: [desc(OCI_MANIFEST, 'a'), 'x'] })).toBe(
      'manifests[1] must be a descriptor object',
    );
    expect(
      invalid({ ...ociIndex, manifests: [{ ...desc(OCI_MANIFEST, 'a'), digest: 'sha256:x' }] }),
    ).toContain('manifests[0].digest');
  });

  it('refuses a child platform without os and architecture', () => {
    for (const platform of [
      null,
      'linux/amd64',
      { os: 'linux' },
      { architecture: 'amd64' },
      { os: 'linux', architecture: 64 },
    ]) {
      expect(invalid({ ...ociIndex, manifests: [{ ...desc(OCI_MANIFEST, 'a'), platform }] })).toBe(
        'manifests[0].platform must have "os" and "architecture"',
      );
    }
  });
});

describe('readImageConfig', () => {
  const config = (value: unknown) => readImageConfig(bytes(value));

  it('reads created and the platform', () => {
    expect(
      config({
        created: '2026-03-04T05:06:07Z',
        os: 'linux',
        architecture: 'arm64',
        variant: 'v8',
      }),
    ).toEqual({
      createdAt: Date.UTC(2026, 2, 4, 5, 6, 7),
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    expect(config({ os: 'linux', architecture: 'amd64', variant: 8 })).toEqual({
      createdAt: null,
      platform: { os: 'linux', architecture: 'amd64', variant: null },
    });
  });

  it('leaves out what it cannot read', () => {
    expect(config({ created: 'yesterday', os: 'linux' })).toEqual({
      createdAt: null,
      platform: null,
    });
    expect(config({ created: 1_700_000_000, architecture: 'amd64' })).toEqual({
      createdAt: null,
      platform: null,
    });
    for (const doc of [[], null, 'config']) {
      expect(config(doc)).toEqual({ createdAt: null, platform: null });
    }
    expect(readImageConfig(new TextEncoder().encode('{not json'))).toEqual({
      createdAt: null,
      platform: null,
    });
    expect(readImageConfig(new Uint8Array())).toEqual({ createdAt: null, platform: null });
  });
});

describe('hasFilesystem: what a vulnerability scan reads', () => {
  const image = (layers: string[], extra: object = {}) =>
    parseManifest(
      bytes({
        ...ociImage,
        layers: layers.map((t, i) => desc(t, String(i + 1))),
        ...extra,
      }),
      OCI_MANIFEST,
    );

  it('is true for images whose layers are tar archives, however compressed or labelled', () => {
    expect(hasFilesystem(image([OCI_LAYER]))).toBe(true);
    expect(hasFilesystem(image(['application/vnd.oci.image.layer.v1.tar']))).toBe(true);
    expect(hasFilesystem(image(['application/vnd.oci.image.layer.v1.tar+zstd']))).toBe(true);
    expect(hasFilesystem(image(['application/octet-stream', DOCKER_LAYER]))).toBe(true);
  });

  it("is false for BuildKit's attestation manifests, artifacts, layerless images and indexes", () => {
    // An attestation: an image config, in-toto statements as layers.
    expect(hasFilesystem(image(['application/vnd.in-toto+json']))).toBe(false);
    expect(
      hasFilesystem(image([OCI_LAYER], { artifactType: 'application/vnd.cyclonedx+json' })),
    ).toBe(false);
    expect(
      hasFilesystem(
        image([OCI_LAYER], { config: desc('application/vnd.cncf.helm.config.v1+json', 'c') }),
      ),
    ).toBe(false);
    expect(hasFilesystem(image([]))).toBe(false);
    expect(
      hasFilesystem(
        parseManifest(
          bytes({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [desc(OCI_MANIFEST, 'a')] }),
          OCI_INDEX,
        ),
      ),
    ).toBe(false);
  });
});
