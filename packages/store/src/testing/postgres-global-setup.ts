import type { TestProject } from 'vitest/node';
import { openPostgres } from '../postgres/connect.js';
import { createMigratedTemplate, postgresUnavailable, startPostgres } from './postgres.js';

/**
 * One PostgreSQL cluster for the whole test run (vitest globalSetup); every test that needs
 * one creates its own database on it (createTestDatabase), so tests never share rows.
 */
export default async function setup(project: TestProject) {
  if (postgresUnavailable()) {
    project.provide('postgresUrl', null);
    return;
  }
  const cluster = await startPostgres();
  try {
    await createMigratedTemplate(cluster.url, async (url) => {
      const handle = await openPostgres(url, { poolSize: 1 });
      await handle.close();
    });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  project.provide('postgresUrl', cluster.url);
  return () => cluster.stop();
}
