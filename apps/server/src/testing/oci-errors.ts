import { expect } from 'vitest';

export interface AnyResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The OCI error body, with the exact status and code; returns the message. */
export function expectOciError(res: AnyResponse, status: number, code: string): string {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { errors: [expect.objectContaining({ code, message: expect.any(String) })] },
  });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['docker-distribution-api-version']).toBe('registry/2.0');
  return (res.body as { errors: { message: string }[] }).errors[0]!.message;
}
