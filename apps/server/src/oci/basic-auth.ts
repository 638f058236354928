export interface BasicCredentials {
  username: string;
  password: string;
}

/** The base64 `username:password` of a Basic Authorization header (RFC 7617). */
export function parseBasic(value: string): BasicCredentials | null {
  const text = Buffer.from(value, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}
