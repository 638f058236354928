import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Runs `script` on a worker thread and resolves with the one message it posts; rejects if it
 * fails or exits without one (it could not start, or ran out of its memory bound). The worker
 * is terminated either way, or as soon as `stop` aborts (its siblings' work failed).
 */
export async function workerAnswer<T>(
  script: URL,
  options: WorkerOptions,
  stop?: AbortSignal,
): Promise<T> {
  const worker = new Worker(script, options);
  const terminate = () => void worker.terminate();
  stop?.addEventListener('abort', terminate, { once: true });
  try {
    return await new Promise<T>((resolve, reject) => {
      worker.once('message', (m: T) => resolve(m));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`${script.pathname} exited with ${code}`)));
    });
  } finally {
    stop?.removeEventListener('abort', terminate);
    terminate();
  }
}
