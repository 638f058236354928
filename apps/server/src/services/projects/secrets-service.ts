import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { Secret, secretBody, secretUpdateBody } from '@berth/contract';
import type { SealedSecretInput } from '@berth/store';
import type { ServiceDeps } from '../deps.js';
import type { ChildService } from './child-service.js';
import { secretView } from './project-views.js';
import { requireDataKeys, requireProjectId, requireResourceName } from './project-inputs.js';

type SecretValuesBody = z.output<typeof secretUpdateBody>;
export type SecretService = ChildService<
  Secret,
  z.output<typeof secretBody>,
  z.output<typeof secretUpdateBody>
>;

/** What the platform runtime gets from a secret; never sent over the API. */
export type SecretValues =
  | { type: 'generic'; data: Record<string, string> }
  | { type: 'registry'; server: string; username: string; password: string };

/**
 * The GCM additional data of a secret's values: the project and this write of the secret.
 * A sealed value copied to another secret, project or older version does not open.
 */
export const secretContext = (projectId: string, secretId: string) =>
  `berth:secret:v1:${projectId}:${secretId}`;

/** The values to seal, and what stays in clear: key names, a registry's server and user. */
function split(body: SecretValuesBody) {
  if (body.type === 'generic') {
    requireDataKeys('data', body.data);
    return { values: body.data, server: null, username: null };
  }
  return { values: { password: body.password }, server: body.server, username: body.username };
}

export function createSecretsService({ store, clock, keyring }: ServiceDeps) {
  const secrets = store.projects.secrets;

  /** Seals the values under the project's data key; the unwrapped key lives only for this call. */
  async function seal(projectId: string, body: SecretValuesBody): Promise<SealedSecretInput> {
    const { values, server, username } = split(body);
    const stored = await store.projects.dataKey(projectId);
    const dataKey = keyring.unwrapDataKey(projectId, stored.keyId, stored.wrapped);
    const id = randomBytes(16).toString('hex');
    try {
      const sealed = keyring.seal(
        dataKey,
        secretContext(projectId, id),
        Buffer.from(JSON.stringify(values), 'utf8'),
      );
      return { id, type: body.type, keys: Object.keys(values).sort(), server, username, sealed };
    } finally {
      dataKey.fill(0);
    }
  }

  const service: SecretService = {
    async list(projectId) {
      return { items: (await secrets.list(requireProjectId(projectId))).map(secretView) };
    },
    async create(projectId, body, actor) {
      requireProjectId(projectId);
      const name = requireResourceName('secret', body.name);
      const sealed = await seal(projectId, body);
      return secretView(await secrets.create(projectId, name, sealed, { actor, now: clock() }));
    },
    async get(projectId, name) {
      requireProjectId(projectId);
      return secretView(await secrets.get(projectId, requireResourceName('secret', name)));
    },
    async replace(projectId, name, body, actor) {
      requireProjectId(projectId);
      requireResourceName('secret', name);
      const sealed = await seal(projectId, body);
      return secretView(await secrets.replace(projectId, name, sealed, { actor, now: clock() }));
    },
    async remove(projectId, name, actor) {
      requireProjectId(projectId);
      await secrets.remove(projectId, requireResourceName('secret', name), {
        actor,
        now: clock(),
      });
    },
  };

  return {
    ...service,
    /** Decrypted values for the platform runtime; throws RootKeyError rather than guess. */
    async values(projectId: string, name: string): Promise<SecretValues> {
      requireProjectId(projectId);
      const s = await secrets.sealed(projectId, requireResourceName('secret', name));
      const dataKey = keyring.unwrapDataKey(projectId, s.keyId, s.wrappedDataKey);
      let values: Record<string, string>;
      try {
        const plain = keyring.open(dataKey, secretContext(projectId, s.secretId), s.sealed);
        values = JSON.parse(plain.toString('utf8')) as Record<string, string>;
        plain.fill(0);
      } finally {
        dataKey.fill(0);
      }
      if (s.type === 'generic') return { type: 'generic', data: values };
      return {
        type: 'registry',
        server: s.server ?? '',
        username: s.username ?? '',
        password: values.password ?? '',
      };
    },
  };
}
