/**
 * How the server-side commands end, the same for each (their headers document it):
 * exit code 2 for a usage error, 1 for a failure, the message on stderr, and never a password
 * a library put into it.
 */

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {}

/** Ours, or one node:util's parseArgs threw (unknown option, missing value, stray argument). */
export function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Passwords in URLs never reach the terminal, whatever a library put in a message. */
export function hidePasswords(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
}

/**
 * Whether `--output` asks for JSON; `text` names the other format the command documents
 * (absent means that one). Anything else is a usage error.
 */
export function outputIsJson(output: string | undefined, text: 'table' | 'text'): boolean {
  if (output !== undefined && output !== text && output !== 'json') {
    throw new UsageError(`--output must be ${text} or json, not ${output}`);
  }
  return output === 'json';
}

/**
 * Runs a command's main and ends it: with main's exit code when it returns one (else when the
 * event loop drains, code 0); on a usage error with 2 and the message; on a failure with 1 and
 * `berth <name>: message`, after `onFailure` (e.g. the JSON a script reads on stdout).
 */
export function runCommand(
  name: string,
  main: () => Promise<number | void>,
  onFailure?: (message: string) => void,
): void {
  main().then(
    (code) => {
      if (code !== undefined) process.exit(code);
    },
    (error: unknown) => {
      const message = hidePasswords(errorMessage(error));
      if (isUsageError(error)) {
        console.error(message);
        process.exit(2);
      }
      onFailure?.(message);
      console.error(`berth ${name}: ${message}`);
      process.exit(1);
    },
  );
}

/**
 * The exit of a command whose operator-fixable errors (`known`) are shown as their message
 * alone and anything else as `<failed>: message`; usage errors point at --help.
 */
export function exitOnError(
  error: unknown,
  opts: { failed: string; known: ReadonlyArray<abstract new (...args: never[]) => Error> },
): never {
  const message = errorMessage(error);
  if (isUsageError(error)) {
    console.error(hidePasswords(`${message}; see --help`));
    process.exit(2);
  }
  const known = opts.known.some((type) => error instanceof type);
  console.error(hidePasswords(known ? message : `${opts.failed}: ${message}`));
  process.exit(1);
}
