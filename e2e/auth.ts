import type { APIRequestContext } from '@playwright/test';

export interface Credentials {
  username: string;
  password: string;
}

/** The first admin every e2e server starts with (BERTH_ADMIN_USERNAME / _PASSWORD). */
export const ADMIN: Credentials = { username: 'admin', password: 'correct-horse-battery-e2e' };

async function ok(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return response;
}

/**
 * Signs a browser context in through the API: a page's `request` shares the context's
 * cookies, so pages then load signed in, as after the sign-in form.
 */
export async function signIn(request: APIRequestContext, who: Credentials): Promise<void> {
  const response = await request.post('/api/v1/session', { data: who });
  if (!response.ok()) {
    throw new Error(`sign in as ${who.username}: ${response.status()} ${await response.text()}`);
  }
}

/** A key for `who`, made the way the console makes one: a session, then POST with its CSRF token. */
export async function createApiKey(baseUrl: string, who: Credentials, name: string) {
  const signedIn = await ok(
    await fetch(`${baseUrl}/api/v1/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(who),
    }),
    `sign in as ${who.username}`,
  );
  const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await signedIn.json()) as { csrfToken: string };
  const created = await ok(
    await fetch(`${baseUrl}/api/v1/api-keys`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie, 'X-CSRF-Token': csrfToken },
      body: JSON.stringify({ name, access: 'read-write' }),
    }),
    `create API key ${name}`,
  );
  return ((await created.json()) as { secret: string }).secret;
}

/**
 * Test set-up outside the browser, as a script would do it: an API key as the Bearer token on
 * /api (no cookie, so no CSRF token) and as the password (Basic) on the registry.
 */
export class BerthClient {
  constructor(
    readonly url: string,
    readonly username: string,
    readonly key: string,
  ) {}

  /** `user:key`, as skopeo's --creds takes it. */
  get creds(): string {
    return `${this.username}:${this.key}`;
  }

  api(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const { json, ...rest } = init;
    return fetch(`${this.url}${path}`, {
      ...rest,
      headers: {
        Authorization: `Bearer ${this.key}`,
        ...(json === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(rest.headers as Record<string, string> | undefined),
      },
      body: json === undefined ? rest.body : JSON.stringify(json),
    });
  }

  /** An API call that must succeed; its JSON answer. */
  async call<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
    const response = await ok(await this.api(path, init), `${init.method ?? 'GET'} ${path}`);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  registry(path: string, init: RequestInit = {}): Promise<Response> {
    const basic = Buffer.from(this.creds).toString('base64');
    return fetch(`${this.url}${path}`, {
      ...init,
      headers: { Authorization: `Basic ${basic}`, ...(init.headers as Record<string, string>) },
    });
  }
}
