/**
 * Server answers whose own message is written for an operator or a registry client, and what
 * the console says instead: what happened to the person's change, what still works, and who
 * can fix it.
 */
const FOR_PEOPLE: Record<string, { title: string; message?: string }> = {
  STORAGE_FULL: {
    title: 'The server has run out of storage space',
    message:
      'Nothing was saved: the disk where Berth keeps its data is full. You can still browse ' +
      'and pull images. Ask your Berth administrator to free space (delete images you no ' +
      'longer need, then run garbage collection) or give the server more disk, and try again.',
  },
  // The server's message already names the manifest or blob, what was found and the remedy;
  // only the title is the console's.
  INTEGRITY_FAILURE: { title: 'Stored data failed its integrity check' },
};

/**
 * The server writes messages as clauses for logs and clients ("project "x" is not
 * deleted; there is nothing to restore"); shown to a person they read as a sentence.
 */
export function asSentence(message: string): string {
  const text = message.trim();
  if (text === '') return text;
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?…)"”]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * The message to show for an error the server answered with `code` and `message`. An
 * unexpected failure names the request id (the X-Request-Id header), the one thing that
 * finds its details in the server's log.
 */
export function messageForPeople(code: string, message: string, requestId?: string | null): string {
  const known = FOR_PEOPLE[code]?.message;
  if (known) return known;
  if (code === 'INTERNAL') {
    return requestId
      ? `Something went wrong on the server. Try again; if it happens again, give your Berth administrator the request ID ${requestId} to find it in the server log.`
      : 'Something went wrong on the server. Try again; if it happens again, ask your Berth administrator to look in the server log.';
  }
  return asSentence(message);
}

/** A title for such an error, or null to let the HTTP status decide. */
export function titleForPeople(code: string): string | null {
  return FOR_PEOPLE[code]?.title ?? null;
}
