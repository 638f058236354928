import { apiPaths, repositoryExportPreview, type RepositoryExportPreview } from '@berth/contract';
import { useQuery } from '@tanstack/react-query';
import { ApiError, apiRequest, failureOf, readJson } from './client';
import { queryKeys } from './query-keys';

/** What downloading the repository as an OCI image layout holds (images, tags, size). */
export function useRepositoryExportPreview(namespace: string, repository: string, enabled = true) {
  return useQuery<RepositoryExportPreview, ApiError>({
    queryKey: queryKeys.images.exportPreview(namespace, repository),
    queryFn: ({ signal }) =>
      apiRequest(apiPaths.repositoryExportPreview(namespace, repository), repositoryExportPreview, {
        signal,
      }),
    enabled,
  });
}

/** Where the bytes go: a file the person picked (File System Access API). */
export interface DownloadSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Drops what was written: an incomplete archive must not look like a whole one. */
  abort(): Promise<void>;
}

export interface DownloadProgress {
  received: number;
  total: number;
}

/**
 * Streams the repository's OCI layout tar into `sink`, reporting bytes as they arrive. The
 * server sets Content-Length, so the total is known before the first byte; fewer bytes than
 * that (the server stopped: a blob failed its digest check) is an error, never a finished file.
 */
export async function downloadRepositoryLayout(
  namespace: string,
  repository: string,
  sink: DownloadSink,
  opts: { signal: AbortSignal; onProgress: (progress: DownloadProgress) => void },
): Promise<DownloadProgress> {
  let received = 0;
  let total = 0;
  try {
    const response = await fetch(apiPaths.repositoryExport(namespace, repository), {
      credentials: 'same-origin',
      signal: opts.signal,
    });
    if (!response.ok) throw failureOf(response, await readJson(response));
    total = Number(response.headers.get('Content-Length') ?? 0);
    if (!response.body)
      throw new ApiError(0, 'client_error', 'This browser cannot stream downloads.');
    const reader = response.body.getReader();
    opts.onProgress({ received, total });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await sink.write(value);
      received += value.byteLength;
      opts.onProgress({ received, total });
    }
    if (total > 0 && received !== total) throw cutOff(received, total);
    await sink.close();
    return { received, total };
  } catch (error) {
    await sink.abort().catch(() => {});
    if (error instanceof ApiError) throw error;
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    // The stream broke after the headers: the server cut it, or the network did.
    if (total > 0) throw cutOff(received, total);
    throw new ApiError(
      0,
      'network_error',
      'Cannot reach the Berth server. Check that it is running and try again.',
    );
  }
}

function cutOff(received: number, total: number): ApiError {
  return new ApiError(
    0,
    'download_incomplete',
    `The download stopped after ${received} of ${total} bytes, so the file was discarded. ` +
      'If it happens again, an administrator can find the reason in the server log (a stored blob that fails its digest check stops an export).',
  );
}
