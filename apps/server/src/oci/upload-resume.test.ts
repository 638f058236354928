import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { randomBytesFromSeed } from '../seed/oci-content.js';
import { expectOciError } from '../testing/oci-errors.js';
import { OCTETS, digestOf } from '../testing/registry-client.js';
import { startTestServer, type TestServer } from '../testing/test-server.js';

// A chunk out of order (distribution-spec: 416) says where the upload stands and where it
// lives, so a client resumes from the answer alone.

let server: TestServer;
const api = () => server.api();

beforeAll(async () => {
  server = await startTestServer();
  await api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' }).expect(201);
});

afterAll(async () => {
  await server?.stop();
});

describe('resuming after a 416', () => {
  it('PATCH and closing PUT out of order answer 416 with Range, Location and Docker-Upload-UUID', async () => {
    const bytes = randomBytesFromSeed('resume', 30);
    const digest = digestOf(bytes);
    const open = await api().post('/v2/team/resume/blobs/uploads/').expect(202);
    const location = open.headers.location!;
    const id = open.headers['docker-upload-uuid'];
    await api()
      .patch(location)
      .set('Content-Type', OCTETS)
      .set('Content-Range', '0-9')
      .send(bytes.subarray(0, 10))
      .expect(202);

    const ahead = await api()
      .patch(location)
      .set('Content-Type', OCTETS)
      .set('Content-Range', '20-29')
      .send(bytes.subarray(20));
    expectOciError(ahead, 416, 'BLOB_UPLOAD_INVALID');
    expect(ahead.headers.range).toBe('0-9');
    expect(ahead.headers.location).toBe(location);
    expect(ahead.headers['docker-upload-uuid']).toBe(id);

    const closing = await api()
      .put(`${location}?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .set('Content-Range', '0-29')
      .send(bytes);
    expectOciError(closing, 416, 'BLOB_UPLOAD_INVALID');
    expect(closing.headers.range).toBe('0-9');
    expect(closing.headers.location).toBe(location);

    // Resuming from the 416's Location finishes the upload.
    await api()
      .put(`${closing.headers.location}?digest=${digest}`)
      .set('Content-Type', OCTETS)
      .set('Content-Range', '10-29')
      .send(bytes.subarray(10))
      .expect(201);
    const got = await api().get(`/v2/team/resume/blobs/${digest}`).expect(200);
    expect(Buffer.compare(got.body as Buffer, bytes)).toBe(0);
  });

  it('an unknown upload is 404 without a Location', async () => {
    const res = await api()
      .patch('/v2/team/resume/blobs/uploads/00000000-0000-4000-8000-000000000000')
      .set('Content-Type', OCTETS)
      .set('Content-Range', '0-0')
      .send(Buffer.from('x'));
    expectOciError(res, 404, 'BLOB_UPLOAD_UNKNOWN');
    expect(res.headers.location).toBeUndefined();
  });
});
