// A minimal OCI Distribution client over keep-alive HTTP: enough of the push protocol
// (monolithic blob upload, manifest PUT) to time a registry without a client's start-up cost.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { MEDIA } from './layout.mjs';

export const MANIFEST_ACCEPT = [
  MEDIA.ociManifest,
  MEDIA.ociIndex,
  MEDIA.dockerManifest,
  MEDIA.dockerList,
].join(', ');

export class RegistryClient {
  /** `headers` go with every request: a registry's credentials (`authorization`), if any. */
  constructor(baseUrl, { maxSockets = 8, headers = {} } = {}) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
    this.headers = headers;
  }

  close() {
    this.agent.destroy();
  }

  /** Resolves with { status, headers, body } for any status; rejects only on transport errors. */
  request(method, target, { headers = {}, body } = {}) {
    const url = new URL(target, this.base);
    const h = { ...this.headers, ...headers };
    if (body !== undefined) h['content-length'] = String(body.length);
    else if (method === 'POST' || method === 'PUT') h['content-length'] = '0';
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          method,
          headers: h,
          agent: this.agent,
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async expect(method, target, statuses, opts) {
    const res = await this.request(method, target, opts);
    if (!statuses.includes(res.status)) {
      const text = res.body.toString('utf8').slice(0, 400);
      throw new Error(
        `${method} ${target} -> ${res.status} (expected ${statuses.join('/')})${text ? `: ${text}` : ''}`,
      );
    }
    return res;
  }

  /** HEAD, then (when missing) POST an upload and PUT the whole blob to its Location. */
  async pushBlob(name, blob) {
    const head = await this.expect('HEAD', `/v2/${name}/blobs/${blob.digest}`, [200, 404]);
    if (head.status === 200) return false;
    const started = await this.expect('POST', `/v2/${name}/blobs/uploads/`, [202]);
    const location = started.headers.location;
    if (!location) throw new Error(`POST /v2/${name}/blobs/uploads/ -> 202 without a Location`);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', blob.digest);
    await this.expect('PUT', `${url.pathname}${url.search}`, [201], {
      headers: { 'content-type': 'application/octet-stream' },
      body: blob.body,
    });
    return true;
  }

  async pushImage(name, image) {
    for (const blob of image.blobs) await this.pushBlob(name, blob);
    const res = await this.expect('PUT', `/v2/${name}/manifests/${image.tag}`, [201], {
      headers: { 'content-type': image.manifest.mediaType },
      body: image.manifest.body,
    });
    const digest = res.headers['docker-content-digest'];
    if (digest && digest !== image.manifest.digest) {
      throw new Error(
        `PUT manifest ${name}:${image.tag} answered digest ${digest}, expected ${image.manifest.digest}`,
      );
    }
  }

  headManifest(name, reference) {
    return this.request('HEAD', `/v2/${name}/manifests/${reference}`, {
      headers: { accept: MANIFEST_ACCEPT },
    });
  }
}
