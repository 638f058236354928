import { describe, expect, it } from 'vitest';
import { ImageConfigUnreadable, layersOf, readImageConfigDetails } from './image-details.js';

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('readImageConfigDetails', () => {
  it('reads how the image runs and how it was built', () => {
    const details = readImageConfigDetails(
      bytes({
        created: '2026-01-02T03:04:05Z',
        author: 'ops@example.com',
        architecture: 'arm64',
        os: 'linux',
        variant: 'v8',
        config: {
          User: '1000:1000',
          WorkingDir: '/srv',
          Entrypoint: ['/bin/app'],
          Cmd: ['--port', '8080'],
          Env: ['PATH=/usr/bin', 'MODE=prod'],
          Labels: { 'org.opencontainers.image.source': 'https://example.com/app', bad: 3 },
          ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
          StopSignal: 'SIGTERM',
        },
        history: [
          { created: '2026-01-01T00:00:00Z', created_by: 'ADD rootfs.tar /' },
          { created_by: 'ENV MODE=prod', empty_layer: true, comment: 'buildkit' },
          'not a step',
        ],
      }),
    );
    expect(details).toEqual({
      created: '2026-01-02T03:04:05Z',
      author: 'ops@example.com',
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
      user: '1000:1000',
      workingDir: '/srv',
      entrypoint: ['/bin/app'],
      cmd: ['--port', '8080'],
      env: ['PATH=/usr/bin', 'MODE=prod'],
      labels: { 'org.opencontainers.image.source': 'https://example.com/app' },
      exposedPorts: ['8080/tcp', '53/udp'],
      stopSignal: 'SIGTERM',
      history: [
        {
          created: '2026-01-01T00:00:00Z',
          createdBy: 'ADD rootfs.tar /',
          comment: null,
          emptyLayer: false,
        },
        { created: null, createdBy: 'ENV MODE=prod', comment: 'buildkit', emptyLayer: true },
      ],
    });
  });

  it('leaves out what is missing or of the wrong type instead of refusing the config', () => {
    const details = readImageConfigDetails(
      bytes({ os: 'linux', config: { Entrypoint: 'sh', Env: 'A=1' }, history: {} }),
    );
    expect(details).toMatchObject({
      os: 'linux',
      architecture: null,
      entrypoint: null,
      cmd: null,
      env: [],
      labels: {},
      exposedPorts: [],
      history: [],
    });
  });

  it('refuses bytes that are not a JSON object, with a reason', () => {
    expect(() => readImageConfigDetails(new Uint8Array([0xff, 0xfe]))).toThrow(
      ImageConfigUnreadable,
    );
    expect(() => readImageConfigDetails(bytes([1, 2]))).toThrow(/not a JSON object/);
  });
});

describe('layersOf', () => {
  it('lists every layer in order, foreign ones marked', () => {
    const layer = (c: string, mediaType: string, size: number) => ({
      mediaType,
      digest: `sha256:${c.repeat(64)}`,
      size,
    });
    expect(
      layersOf(
        bytes({
          schemaVersion: 2,
          layers: [
            layer('a', 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 100),
            layer('b', 'application/vnd.oci.image.layer.v1.tar+gzip', 20),
          ],
        }),
      ),
    ).toEqual([
      {
        digest: `sha256:${'a'.repeat(64)}`,
        mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
        sizeBytes: 100,
        foreign: true,
      },
      {
        digest: `sha256:${'b'.repeat(64)}`,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        sizeBytes: 20,
        foreign: false,
      },
    ]);
    expect(layersOf(bytes({ schemaVersion: 2, manifests: [] }))).toEqual([]);
  });
});
