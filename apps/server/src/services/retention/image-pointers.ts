import type { ImagePointer } from '@berth/domain';

/**
 * Where retention learns which images something outside the registry uses, so it never
 * deletes them. Projects (their apps and jobs) will answer here; until they exist nothing
 * points at an image.
 */
export interface ImagePointerSource {
  forNamespace(namespace: string): Promise<ImagePointer[]>;
}

export const noImagePointers: ImagePointerSource = {
  forNamespace: async () => [],
};
