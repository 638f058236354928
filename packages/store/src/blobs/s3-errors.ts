/** The HTTP status of an error the AWS SDK threw, if it came from an answer. */
export function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

export function nameOf(error: unknown): string {
  return (error as { name?: string })?.name ?? '';
}

/** A missing object, bucket or multipart upload. */
export function isNotFound(error: unknown): boolean {
  return (
    statusOf(error) === 404 ||
    ['NotFound', 'NoSuchKey', 'NoSuchBucket', 'NoSuchUpload'].includes(nameOf(error))
  );
}
