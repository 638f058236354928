/**
 * An rpm database file whose structure cannot be followed: truncated, damaged, or not the
 * format its name says. The Berkeley DB and ndb readers throw nothing else, whatever the
 * bytes, so the rpm reader can tell a bad image from a bug in the scanner.
 */
export class RpmDatabaseError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RpmDatabaseError';
  }
}
