import readline from 'node:readline';
import { CliError, EXIT, usageError } from './exit-codes.js';

/**
 * Everything the client reads from and writes to the person: passed in, so that commands never
 * touch process.* themselves and the prompts' rules live in one place.
 */
export interface Terminal {
  out(text: string): void;
  err(text: string): void;
  /** Questions are only asked when both ends are a terminal; scripts get --force instead. */
  interactive: boolean;
  /** A progress line on stderr, rewritten in place; null clears it. No-op unless stderr is a TTY. */
  progress(line: string | null): void;
  ask(question: string): Promise<string>;
  askSecret(question: string): Promise<string>;
  readStdin(): Promise<string>;
}

export function processTerminal(): Terminal {
  const stdin = process.stdin;
  const stderr = process.stderr;
  const interactive = Boolean(stdin.isTTY && stderr.isTTY);
  let progressShown = false;
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void stderr.write(text),
    interactive,
    progress(line) {
      if (!stderr.isTTY) return;
      if (line === null) {
        if (progressShown) stderr.write('\r\x1b[2K');
        progressShown = false;
        return;
      }
      stderr.write(`\r\x1b[2K${line}`);
      progressShown = true;
    },
    ask(question) {
      const rl = readline.createInterface({ input: stdin, output: stderr, terminal: true });
      return new Promise((resolve, reject) => {
        // Ctrl-C at the question is a "no", not a hang (readline only pauses on it by default).
        rl.on('SIGINT', () => {
          rl.close();
          stderr.write('\n');
          reject(new CliError(EXIT.refused, 'cancelled; nothing changed'));
        });
        rl.question(question, (answer) => {
          rl.close();
          resolve(answer);
        });
      });
    },
    askSecret(question) {
      // Raw mode before the prompt: what is typed once it shows is never echoed, so never
      // left on screen.
      stdin.setRawMode(true);
      stderr.write(question);
      stdin.resume();
      return new Promise((resolve, reject) => {
        let value = '';
        const done = (err: Error | null) => {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          stderr.write('\n');
          if (err) reject(err);
          else resolve(value);
        };
        const onData = (chunk: Buffer) => {
          for (const ch of chunk.toString('utf8')) {
            if (ch === '\r' || ch === '\n') return done(null);
            if (ch === '\u0003') return done(new CliError(EXIT.refused, 'cancelled'));
            if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
            else value += ch;
          }
        };
        stdin.on('data', onData);
      });
    },
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/**
 * A destructive action goes ahead with --force, or after the person typed `expected` at the
 * prompt. Without a terminal and without --force it is refused as a usage error: a script must
 * say --force, never be asked a question it cannot answer.
 */
export async function confirmTyped(
  term: Terminal,
  force: boolean,
  expected: string,
  question: string,
): Promise<void> {
  if (force) return;
  if (!term.interactive) {
    throw usageError('this needs a confirmation: run it in a terminal, or pass --force');
  }
  const answer = (await term.ask(question)).trim();
  if (answer !== expected) {
    throw new CliError(
      EXIT.refused,
      `not confirmed ("${expected}" was not typed); nothing changed`,
    );
  }
}

/** A password from stdin (--password-stdin: the first line) or typed without echo. */
export async function readPassword(
  term: Terminal,
  fromStdin: boolean,
  question: string,
): Promise<string> {
  let password: string;
  if (fromStdin) {
    password = (await term.readStdin()).split(/\r?\n/)[0] ?? '';
  } else if (term.interactive) {
    password = await term.askSecret(question);
  } else {
    throw usageError('no terminal to ask for the password: pass it on stdin with --password-stdin');
  }
  if (!password) throw usageError('the password is empty');
  return password;
}
