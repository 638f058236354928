import { ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';
import { isNotFound } from './s3-errors.js';

/** Bytes the parts of a multipart upload hold (0 once it is gone): what a sweep frees. */
export async function multipartUploadedBytes(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
): Promise<number> {
  let bytes = 0;
  let marker: string | undefined;
  for (;;) {
    const page = await client
      .send(
        new ListPartsCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumberMarker: marker,
        }),
      )
      .catch((error: unknown) => {
        if (isNotFound(error)) return null;
        throw error;
      });
    if (!page) return bytes;
    for (const part of page.Parts ?? []) bytes += part.Size ?? 0;
    if (!page.IsTruncated) return bytes;
    marker = page.NextPartNumberMarker;
  }
}
