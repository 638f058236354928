import type { BerthClient } from './auth';
import { createNamespace, pushImage } from './retention-helpers';

/**
 * A repository larger than one chunk of bulk work: the e2e server runs with a small
 * BERTH_BULK_CHUNK_IMAGES, so deleting or restoring it becomes an operation with progress,
 * as a 100,000-image repository does with the default chunk.
 */
export const BULK_CHUNK_IMAGES = 20;

export async function seedLargeRepository(
  admin: BerthClient,
  namespace: string,
  repository: string,
  images: number,
): Promise<{ tags: string[] }> {
  await createNamespace(admin, namespace);
  const tags: string[] = [];
  for (let index = 1; index <= images; index++) {
    const tag = `v${index}`;
    await pushImage(admin, `${namespace}/${repository}`, tag, images - index);
    tags.push(tag);
  }
  return { tags };
}
