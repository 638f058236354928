/**
 * Exit codes scripts can rely on (docs/cli.md lists them; `berth --help` too). One code per
 * kind of outcome, so a script can tell "fix your input" from "sign in" from "try again".
 */
export const EXIT = {
  ok: 0,
  /** The server failed, the network did, or the server's answer broke the contract. */
  failed: 1,
  /** Unknown command or flag, missing or malformed argument, or the API said 400. */
  usage: 2,
  /** The namespace, repository, image, project … does not exist (404). */
  notFound: 3,
  /** Not signed in, wrong or revoked key (401), or not allowed (403). */
  denied: 4,
  /** Refused: a conflict or quota (409, 413), or the confirmation was declined. */
  refused: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the client explains in one line on stderr and turns into its exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message);

export function exitCodeForStatus(status: number): ExitCode {
  if (status === 400) return EXIT.usage;
  if (status === 401 || status === 403) return EXIT.denied;
  if (status === 404) return EXIT.notFound;
  if (status === 409 || status === 413) return EXIT.refused;
  return EXIT.failed;
}
