import { InputError } from '@berth/domain';

/**
 * Keyset cursors: the sort value and the unique tie-breaker of the last row on a page,
 * base64url-encoded JSON. Opaque to clients; checked on the way back in.
 */
export type CursorKey = [number | string, number | string];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(
  cursor: string | undefined,
  kinds: ['number' | 'string', 'number' | 'string'],
): CursorKey | null {
  if (cursor === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== kinds[0] ||
    typeof parsed[1] !== kinds[1]
  ) {
    throw new InputError(
      'INVALID_CURSOR',
      'cursor is not one this list returned; start again without it',
    );
  }
  return parsed as CursorKey;
}
