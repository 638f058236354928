import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_TEMPLATE_ENV, launchBerth } from './berth-process';

/**
 * Seeds the demo registry once, through a real first start of the server, into a template
 * directory that every test's server starts from a copy of. The server is stopped before any
 * copy is made, so the copies hold a closed, checkpointed database.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const template = await mkdtemp(path.join(tmpdir(), 'berth-e2e-template-'));
  const server = await launchBerth(template, {});
  await server.stop();
  process.env[DEMO_TEMPLATE_ENV] = template;
  return () => rm(template, { recursive: true, force: true });
}
