import { describe, expect, it } from 'vitest';
import { messageForPeople, titleForPeople } from './error-words';

describe('error words for people', () => {
  it('says what a full disk means for the person, not SQLite or HTTP', () => {
    const message = messageForPeople('STORAGE_FULL', "the registry's storage is full, so …");
    expect(message).toMatch(/^Nothing was saved: the disk where Berth keeps its data is full\./);
    expect(message).toMatch(/still browse and pull/);
    expect(message).toMatch(/administrator/);
    expect(titleForPeople('STORAGE_FULL')).toBe('The server has run out of storage space');
  });

  it("keeps the server's own message for everything else", () => {
    expect(messageForPeople('NAME_TAKEN', 'namespace "team" already exists')).toBe(
      'namespace "team" already exists',
    );
    expect(titleForPeople('NAME_TAKEN')).toBeNull();
  });
});
