import { checkPassword } from '@berth/domain';
import { describe, expect, it } from 'vitest';
import { temporaryPassword } from './temporary-password';

describe('temporaryPassword', () => {
  it('passes the server password rules, in readable groups without look-alike characters', () => {
    for (let i = 0; i < 50; i++) {
      const password = temporaryPassword();
      expect(password).toMatch(/^[a-zA-Z2-9]{5}(-[a-zA-Z2-9]{5}){3}$/);
      expect(password).not.toMatch(/[01lOI]/);
      expect(() => checkPassword(password, 'viewer1')).not.toThrow();
    }
  });

  it('skips bytes that would favour some characters', () => {
    // 255 is above the largest multiple of the alphabet size, so it is never used.
    const bytes = [255, 0, 255, 1];
    let call = 0;
    const password = temporaryPassword((buffer) => {
      buffer.fill(0);
      if (call++ === 0) buffer.set(bytes);
      return buffer;
    });
    expect(password.startsWith('ab')).toBe(true);
  });

  it('differs each time', () => {
    expect(new Set(Array.from({ length: 20 }, () => temporaryPassword())).size).toBe(20);
  });
});
