import type { ApiError } from '../api/client';

/** Words the server may use for a form field, in codes (`IMAGE_POINTER_INVALID`) and messages. */
export type FieldAliases<F extends string> = Record<F, readonly string[]>;

function firstIssuePath(details: Record<string, unknown> | undefined): string | null {
  const issues = details?.issues;
  if (!Array.isArray(issues)) return null;
  const first: unknown = issues[0];
  if (typeof first !== 'object' || first === null || !('path' in first)) return null;
  const path = (first as { path: unknown }).path;
  if (typeof path === 'string') return path;
  if (Array.isArray(path)) return path.map(String).join('.');
  return null;
}

/**
 * Which form field a 400 or 409 answer is about, so its message can sit under that field;
 * null puts it in a notification under the form. The server names a field in
 * `details.field`, in a request issue's path (`details.issues`), at the start of its message
 * ("image: ...") or in its code (`INVALID_IMAGE_POINTER`); a 409 about an existing name
 * belongs to the name field. Anything else (a full region, say) is about the whole form.
 */
export function fieldOfError<F extends string>(
  error: ApiError | null,
  aliases: FieldAliases<F>,
): F | null {
  if (!error || (error.status !== 400 && error.status !== 409)) return null;
  const fields = Object.keys(aliases) as F[];
  const candidates: string[] = [];
  const field = error.details?.field;
  if (typeof field === 'string') candidates.push(field);
  const path = firstIssuePath(error.details);
  if (path) candidates.push(path.split('.')[0] ?? path);
  for (const candidate of candidates) {
    const match = fields.find((f) => f === candidate || aliases[f].includes(candidate));
    if (match) return match;
  }
  const message = error.message.toLowerCase();
  const code = error.code.toLowerCase();
  for (const f of fields) {
    for (const word of [f, ...aliases[f]]) {
      const w = word.toLowerCase();
      if (message.startsWith(`${w}:`)) return f;
      if (code.split(/[_-]/).includes(w)) return f;
    }
  }
  if (error.status === 409 && /exist|taken/.test(`${code} ${message}`) && 'name' in aliases) {
    return 'name' as F;
  }
  return null;
}
