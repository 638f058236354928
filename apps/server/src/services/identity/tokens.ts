import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Session tokens, CSRF tokens and key secrets: 256 random bits. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** How tokens and key secrets are stored: high-entropy values need no slow hash. */
export function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * API keys read `berth_<id>_<secret>`: the id finds the row without scanning, the secret is
 * checked against its digest. The `berth_` prefix lets secret scanners recognise leaked keys.
 */
const KEY_FORMAT = /^berth_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function newApiKey(): { id: string; secret: string; full: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomToken();
  return { id, secret, full: `berth_${id}_${secret}` };
}

export function parseApiKey(text: string): { id: string; secret: string } | null {
  const m = KEY_FORMAT.exec(text);
  return m?.[1] && m[2] ? { id: m[1], secret: m[2] } : null;
}

export function keyPrefix(id: string): string {
  return `berth_${id}`;
}
