import type { Request, Response } from 'express';
import type { Services } from '../services/index.js';
import type { UploadStart } from '../services/registry/registry-service.js';
import { UploadRangeError } from '../services/registry/upload-sessions.js';
import { blobLocation, chunkRange, query, uploadLocation } from './http.js';
import { registryCallerOf } from './registry-auth.js';

function sendStarted(res: Response, name: string, started: UploadStart): void {
  if (started.kind === 'blob') {
    res.status(201).set({
      Location: blobLocation(name, started.digest),
      'Docker-Content-Digest': started.digest,
    });
  } else {
    sendProgress(res.status(202), name, started.id, started.offset);
  }
  res.end();
}

function sendProgress(res: Response, name: string, id: string, offset: number): void {
  res.set({
    Location: uploadLocation(name, id),
    Range: `0-${Math.max(0, offset - 1)}`,
    'Docker-Upload-UUID': id,
    'Content-Length': '0',
  });
}

/**
 * A chunk out of order is 416 with the upload's Range (errors.ts); its Location too, so the
 * client can resume without first asking where the upload stands.
 */
async function resumable<T>(res: Response, name: string, id: string, work: () => Promise<T>) {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UploadRangeError) {
      res.set({ Location: uploadLocation(name, id), 'Docker-Upload-UUID': id });
    }
    throw error;
  }
}

export function uploadHandlers({ registry }: Services) {
  return {
    /**
     * POST: a session, a single-request upload (?digest=) or a mount (?mount=&from=). A mount
     * from a repository the caller may not pull from is an ordinary upload, as the spec allows
     * for any failed mount: the blob is neither linked nor is its presence there revealed.
     */
    async start(req: Request, res: Response, [name = '']: string[]) {
      const mount = query(req, 'mount');
      const requested = query(req, 'from');
      const from =
        requested !== undefined && (await registryCallerOf(req).mayPull(requested))
          ? requested
          : undefined;
      const digest = query(req, 'digest');
      const digestAlgorithm = query(req, 'digest-algorithm');
      const started = await registry.startUpload(name, {
        ...(mount !== undefined ? { mount } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(digest !== undefined ? { digest } : {}),
        ...(digestAlgorithm !== undefined ? { digestAlgorithm } : {}),
        body: req,
      });
      sendStarted(res, name, started);
    },

    async patch(req: Request, res: Response, [name = '', id = '']: string[]) {
      const range = chunkRange(req);
      const offset = await resumable(res, name, id, () =>
        registry.appendUpload(name, id, req, range),
      );
      sendProgress(res.status(202), name, id, offset);
      res.end();
    },

    async put(req: Request, res: Response, [name = '', id = '']: string[]) {
      const range = chunkRange(req);
      const done = await resumable(res, name, id, () =>
        registry.finishUpload(name, id, query(req, 'digest'), req, range),
      );
      sendStarted(res, name, done);
    },

    async status(_req: Request, res: Response, [name = '', id = '']: string[]) {
      const offset = await registry.uploadOffset(name, id);
      sendProgress(res.status(204), name, id, offset);
      res.end();
    },

    async cancel(_req: Request, res: Response, [name = '', id = '']: string[]) {
      await registry.cancelUpload(name, id);
      res.status(204).end();
    },
  };
}
