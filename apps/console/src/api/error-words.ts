/**
 * Server answers whose own message is written for an operator or a registry client, and what
 * the console says instead: what happened to the person's change, what still works, and who
 * can fix it.
 */
const FOR_PEOPLE: Record<string, { title: string; message: string }> = {
  STORAGE_FULL: {
    title: 'The server has run out of storage space',
    message:
      'Nothing was saved: the disk where Berth keeps its data is full. You can still browse ' +
      'and pull images. Ask your Berth administrator to free space (delete images you no ' +
      'longer need, then run garbage collection) or give the server more disk, and try again.',
  },
};

/** The message to show for an error the server answered with `code` and `message`. */
export function messageForPeople(code: string, message: string): string {
  return FOR_PEOPLE[code]?.message ?? message;
}

/** A title for such an error, or null to let the HTTP status decide. */
export function titleForPeople(code: string): string | null {
  return FOR_PEOPLE[code]?.title ?? null;
}
