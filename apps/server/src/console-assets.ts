import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Response } from 'express';

/** Compressed copies the console build writes beside a file, in order of preference. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

/**
 * Vite names every file it emits under /assets with a content hash (`index-DCtvljsK.js`): such
 * a file never changes under its name, so browsers may keep it for a year without asking.
 */
const HASHED_ASSET = /^\/assets\/.+-[A-Za-z0-9_-]{8}\.[a-z0-9]+$/;

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The offered encoding the client weights highest; among equals ours in order of preference
 * (negotiation libraries break ties by the client's order, and Chromium lists gzip before br).
 * Without the header, or with every offer at q=0, none: the file itself.
 */
function preferredEncoding<E extends { name: string }>(header: string | undefined, offered: E[]) {
  const weights = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q ? Number(q.slice(2)) : 1;
    if (name) weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  let best: E | undefined;
  let bestWeight = 0;
  for (const encoding of offered) {
    const weight = weights.get(encoding.name) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) [best, bestWeight] = [encoding, weight];
  }
  return best;
}

function urlPathOf(root: string, file: string): string {
  return `/${path.relative(root, file).split(path.sep).join('/')}`;
}

function compressedCopies(root: string): Map<string, Set<string>> {
  const copies = new Map<string, Set<string>>();
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const encoding = ENCODINGS.find((e) => entry.name.endsWith(e.suffix));
    if (!encoding) continue;
    const file = path.join(entry.parentPath, entry.name.slice(0, -encoding.suffix.length));
    if (!fs.existsSync(file)) continue;
    const urlPath = urlPathOf(root, file);
    copies.set(urlPath, (copies.get(urlPath) ?? new Set()).add(encoding.name));
  }
  return copies;
}

/**
 * The built console's files. Where the build left a `.br` or `.gz` copy beside a file, the
 * copy the client accepts is sent with Content-Encoding (and Vary, for caches); the type stays
 * the original's. serve-static then does the rest for whichever file it is given: Content-Length,
 * ETag and Last-Modified of the bytes actually sent, 304s, HEAD and ranges. The set of copies is
 * read once: the build is not changed under a running server.
 */
export function consoleAssets(root: string): RequestHandler {
  const copies = compressedCopies(root);
  const serve = express.static(root, {
    index: false,
    setHeaders: (res: Response, file: string) => {
      const original = urlPathOf(root, file.replace(/\.(?:br|gz)$/, ''));
      res.set('Cache-Control', HASHED_ASSET.test(original) ? IMMUTABLE : 'no-cache');
    },
  });
  return (req, res, next) => {
    const available = (req.method === 'GET' || req.method === 'HEAD') && copies.get(req.path);
    if (available) {
      res.vary('Accept-Encoding');
      const offered = ENCODINGS.filter((e) => available.has(e.name));
      const encoding = preferredEncoding(req.get('Accept-Encoding'), offered);
      if (encoding) {
        res.type(path.extname(req.path));
        res.set('Content-Encoding', encoding.name);
        const url = req.url;
        req.url = `${req.path}${encoding.suffix}${url.slice(req.path.length)}`;
        // The copy vanished after start-up: the request goes on as it came.
        return serve(req, res, (error?: unknown) => {
          req.url = url;
          res.removeHeader('Content-Encoding');
          res.removeHeader('Content-Type');
          next(error);
        });
      }
    }
    serve(req, res, next);
  };
}
