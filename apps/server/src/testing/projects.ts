import { randomUUID } from 'node:crypto';
import { apiPaths, type ProjectSummary } from '@berth/contract';
import type { TestServer } from './test-server.js';

type Api = Pick<TestServer, 'api'>;

/** The registry host test servers answer to (BERTH_REGISTRY_HOSTS in test-server.ts). */
export const TEST_REGISTRY = 'berth.test:5000';

export async function createProject(
  server: Api,
  name: string,
  region = 'local',
): Promise<ProjectSummary> {
  const res = await server.api().post(apiPaths.projects()).send({ name, region }).expect(201);
  return res.body as ProjectSummary;
}

/** Distinctive secret values: tests look for them (and their base64) where they must not be. */
export interface FilledSecrets {
  apiToken: string;
  password: string;
}

/**
 * One of everything a project holds: an app, a job, a job template, a generic and a registry
 * secret, and a config map.
 */
export async function fillProject(server: Api, projectId: string): Promise<FilledSecrets> {
  const api = () => server.api();
  const secrets = {
    apiToken: `tok-${randomUUID()}`,
    password: `pw-${randomUUID()}`,
  };
  await api()
    .post(apiPaths.projectChildren(projectId, 'apps'))
    .send({
      name: 'web',
      image: `${TEST_REGISTRY}/team-alpha/web/app:2.0`,
      env: { PORT: '8080' },
      cpu: 1,
      memoryMiB: 512,
    })
    .expect(201);
  await api()
    .post(apiPaths.projectChildren(projectId, 'jobs'))
    .send({ name: 'migrate', image: 'registry.example.com/ops/migrate:1', command: ['migrate'] })
    .expect(201);
  await api()
    .post(apiPaths.projectChildren(projectId, 'jobs'))
    .send({ name: 'report', kind: 'template', image: `${TEST_REGISTRY}/team-alpha/tools:stable` })
    .expect(201);
  await api()
    .post(apiPaths.projectChildren(projectId, 'secrets'))
    .send({ name: 'api', type: 'generic', data: { API_TOKEN: secrets.apiToken } })
    .expect(201);
  await api()
    .post(apiPaths.projectChildren(projectId, 'secrets'))
    .send({
      name: 'pull',
      type: 'registry',
      server: TEST_REGISTRY,
      username: 'robot',
      password: secrets.password,
    })
    .expect(201);
  await api()
    .post(apiPaths.projectChildren(projectId, 'config-maps'))
    .send({ name: 'settings', data: { 'app.yaml': 'level: debug' } })
    .expect(201);
  return secrets;
}
