import { describe, expect, it } from 'vitest';
import { asSentence, messageForPeople, titleForPeople } from './error-words';

describe('error words for people', () => {
  it('says what a full disk means for the person, not SQLite or HTTP', () => {
    const message = messageForPeople('STORAGE_FULL', "the registry's storage is full, so …");
    expect(message).toMatch(/^Nothing was saved: the disk where Berth keeps its data is full\./);
    expect(message).toMatch(/still browse and pull/);
    expect(message).toMatch(/administrator/);
    expect(titleForPeople('STORAGE_FULL')).toBe('The server has run out of storage space');
  });

  it("shows the server's own message for everything else, as a sentence", () => {
    expect(messageForPeople('NAME_TAKEN', 'namespace "team" already exists')).toBe(
      'Namespace "team" already exists.',
    );
    expect(
      messageForPeople('PROJECT_NOT_DELETED', 'project "web" is not deleted; nothing to restore'),
    ).toBe('Project "web" is not deleted; nothing to restore.');
    expect(titleForPeople('NAME_TAKEN')).toBeNull();
  });

  it('leaves punctuation the server already ended with', () => {
    expect(asSentence('Tag "v1" is held by another image.')).toBe(
      'Tag "v1" is held by another image.',
    );
    expect(asSentence('is it there?')).toBe('Is it there?');
    expect(asSentence('  ')).toBe('');
  });

  it("titles an integrity failure and keeps the server's words, which name the digest and the remedy", () => {
    const server =
      "the stored manifest sha256:abc failed its integrity check: its sealed bytes do not open under its namespace's key (they were altered, or copied from another image or namespace). It was not served. An administrator can restore it from a backup taken before the change";
    expect(titleForPeople('INTEGRITY_FAILURE')).toBe('Stored data failed its integrity check');
    expect(messageForPeople('INTEGRITY_FAILURE', server, 'req-1')).toBe(`T${server.slice(1)}.`);
  });

  it('gives the request id of an internal error, to find it in the log', () => {
    const message = messageForPeople(
      'INTERNAL',
      'something went wrong on the server; the error is in its log',
      '6f1c2a9e-0d7b-4c55-9a51-3f0e4bb1d2aa',
    );
    expect(message).toMatch(/^Something went wrong on the server\./);
    expect(message).toContain('request ID 6f1c2a9e-0d7b-4c55-9a51-3f0e4bb1d2aa');
    expect(messageForPeople('INTERNAL', 'x', null)).toMatch(/server log\.$/);
  });
});
