import { parseArgs } from 'node:util';
import { createApi } from './api.js';
import {
  type Command,
  type Context,
  type Group,
  type OptionSpec,
  parseArgsOptions,
} from './command.js';
import { resolveSettings } from './connection.js';
import { CliError, EXIT, type ExitCode, usageError } from './exit-codes.js';
import { ApiError } from './http.js';
import type { Terminal } from './terminal.js';
import { apiKeysGroup } from './commands/api-keys.js';
import { auditGroup } from './commands/audit.js';
import { backupsGroup } from './commands/backups.js';
import { configMapsGroup } from './commands/config-maps.js';
import { gcGroup } from './commands/gc.js';
import { imagesGroup } from './commands/images.js';
import { membersGroup } from './commands/members.js';
import { namespacesGroup } from './commands/namespaces.js';
import { operationsGroup } from './commands/operations.js';
import { projectsGroup } from './commands/projects.js';
import { repositoriesGroup } from './commands/repositories.js';
import { retentionGroup } from './commands/retention.js';
import { scansGroup } from './commands/scans.js';
import { searchGroup } from './commands/search.js';
import { secretsGroup } from './commands/secrets.js';
import { loginGroup, logoutGroup } from './commands/session.js';
import { trashGroup } from './commands/trash.js';
import { usersGroup } from './commands/users.js';
import { appsGroup, jobsGroup } from './commands/workloads.js';

export const GROUPS: Group[] = [
  loginGroup,
  logoutGroup,
  namespacesGroup,
  membersGroup,
  repositoriesGroup,
  imagesGroup,
  scansGroup,
  searchGroup,
  trashGroup,
  retentionGroup,
  projectsGroup,
  appsGroup,
  jobsGroup,
  secretsGroup,
  configMapsGroup,
  usersGroup,
  apiKeysGroup,
  auditGroup,
  operationsGroup,
  backupsGroup,
  gcGroup,
];

/** Commands of ./berth that work on the server's data directly, not through the API. */
const SERVER_SIDE = [
  'backup',
  'restore',
  'export',
  'import',
  'encrypt-existing',
  'rotate-root-key',
  'advisories',
  'migrate',
];

const GLOBAL: Record<string, OptionSpec> = {
  server: {
    type: 'string',
    value: 'URL',
    description: 'Berth to talk to (env BERTH_URL; default http://localhost:8080)',
  },
  'api-key': {
    type: 'string',
    value: 'KEY',
    description: 'API key (prefer env BERTH_API_KEY: flags show in ps)',
  },
  output: { type: 'string', short: 'o', value: 'FORMAT', description: 'table (default) or json' },
  insecure: { type: 'boolean', description: 'do not check the TLS certificate' },
  help: { type: 'boolean', short: 'h', description: 'help for this command' },
};

const EXIT_HELP = `Exit codes:
  0  success
  1  failed: server error, network, or an answer that breaks the API contract
  2  usage: unknown command or flag, bad or missing argument, API 400
  3  not found (404)
  4  not signed in, wrong or revoked key (401), or not allowed (403)
  5  refused: conflict or quota (409, 413), or the confirmation was declined
`;

function optionLines(options: Record<string, OptionSpec>): string {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return [flag, `${o.description}${o.multiple ? ' (repeatable)' : ''}`] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}\n`).join('');
}

function commandUsage(group: Group, c: Command): string {
  return ['berth', group.name, c.name, c.args ?? ''].filter(Boolean).join(' ');
}

export function mainHelp(): string {
  const width = Math.max(...GROUPS.map((g) => g.name.length));
  return (
    'Usage: berth <command> [<subcommand>] [arguments] [options]\n\n' +
    'The Berth command-line client: what the console does, for scripts and terminals.\n\n' +
    'Commands:\n' +
    GROUPS.map((g) => `  ${g.name.padEnd(width)}  ${g.summary}\n`).join('') +
    '\nOptions for every command:\n' +
    optionLines(GLOBAL) +
    '\nRun "berth <command> --help" for its subcommands and options. On the server, ./berth\n' +
    `also runs ${SERVER_SIDE.join(', ')} (./berth help).\n\n` +
    EXIT_HELP
  );
}

function groupHelp(group: Group): string {
  const only =
    group.commands.length === 1 && group.commands[0]!.name === '' ? group.commands[0] : null;
  if (only) return commandHelp(group, only);
  const width = Math.max(...group.commands.map((c) => c.name.length));
  return (
    `Usage: berth ${group.name} <subcommand> [arguments] [options]\n\n${group.summary}\n\nSubcommands:\n` +
    group.commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}\n`).join('') +
    `\nRun "berth ${group.name} <subcommand> --help" for its options.\n`
  );
}

function commandHelp(group: Group, c: Command): string {
  return (
    `Usage: ${commandUsage(group, c)} [options]\n\n${c.summary}\n` +
    (c.details ? `\n${c.details}\n` : '') +
    (c.options && Object.keys(c.options).length > 0
      ? `\nOptions:\n${optionLines(c.options)}`
      : '') +
    `\nOptions for every command:\n${optionLines(GLOBAL)}\n${EXIT_HELP}`
  );
}

/** The leading words that name the group and command, found without knowing the flags yet. */
function wordsOf(argv: string[]): string[] {
  const { positionals } = parseArgs({
    args: argv,
    options: parseArgsOptions(GLOBAL),
    allowPositionals: true,
    strict: false,
  });
  return positionals;
}

function findCommand(group: Group, words: string[]): Command | null {
  // Longest name first: "policy get" before a hypothetical "policy".
  const byLength = [...group.commands].sort(
    (a, b) => b.name.split(' ').length - a.name.split(' ').length,
  );
  for (const c of byLength) {
    if (c.name === '') return c;
    const parts = c.name.split(' ');
    if (parts.every((p, i) => words[i] === p)) return c;
  }
  return null;
}

function parseError(err: unknown): CliError {
  const message = err instanceof Error ? err.message : String(err);
  return usageError(message.replace(/\. To specify a positional argument.*$/s, ''));
}

/** Runs one command line; returns the exit code (the entry point exits with it). */
export async function runCli(
  argv: string[],
  term: Terminal,
  env: NodeJS.ProcessEnv,
): Promise<ExitCode> {
  try {
    const words = wordsOf(argv);
    const wantsHelp = argv.includes('--help') || argv.includes('-h');
    if (words[0] === 'help' || (words.length === 0 && wantsHelp)) {
      const group = GROUPS.find((g) => g.name === words[1]);
      const command = group ? findCommand(group, words.slice(2)) : null;
      term.out(
        group
          ? command && words.length > 2
            ? commandHelp(group, command)
            : groupHelp(group)
          : mainHelp(),
      );
      return EXIT.ok;
    }
    if (words.length === 0) {
      term.err(mainHelp());
      return EXIT.usage;
    }
    const group = GROUPS.find((g) => g.name === words[0]);
    if (!group) {
      throw usageError(
        SERVER_SIDE.includes(words[0]!)
          ? `"${words[0]}" runs on the server, from the repository: ./berth ${words[0]} --help`
          : `unknown command "${words[0]}"; run berth --help for the list`,
      );
    }
    const command = findCommand(group, words.slice(1));
    if (!command) {
      if (wantsHelp) {
        term.out(groupHelp(group));
        return EXIT.ok;
      }
      const sub = words[1];
      throw usageError(
        sub === undefined
          ? `berth ${group.name} needs a subcommand: ${group.commands.map((c) => c.name).join(', ')}`
          : `unknown subcommand "${group.name} ${sub}"; run berth ${group.name} --help`,
      );
    }
    if (wantsHelp) {
      term.out(commandHelp(group, command));
      return EXIT.ok;
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: argv,
        options: parseArgsOptions({ ...GLOBAL, ...command.options }),
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw parseError(err);
    }
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    // The group and command words come first among the positionals; the rest are arguments.
    const skip = 1 + (command.name === '' ? 0 : command.name.split(' ').length);
    const args = parsed.positionals.slice(skip);
    const [min, max] =
      typeof command.positionals === 'number'
        ? [command.positionals, command.positionals]
        : command.positionals;
    const usage = commandUsage(group, command);
    if (args.length < min) throw usageError(`missing argument: ${usage}`);
    if (args.length > max) throw usageError(`unexpected argument "${args[max]}": ${usage}`);
    const output = (values.output as string | undefined) ?? 'table';
    if (output !== 'table' && output !== 'json') {
      throw usageError(`--output takes table or json (got "${output}")`);
    }
    const settings = resolveSettings(
      {
        server: values.server as string | undefined,
        apiKey: values['api-key'] as string | undefined,
        insecure: values.insecure === true,
      },
      env,
    );
    const json = output === 'json';
    const ctx: Context = {
      term,
      json,
      env,
      api: createApi(settings, (line) => term.progress(line)),
      print(value, human) {
        term.out(json ? `${JSON.stringify(value, null, 2)}\n` : human());
      },
    };
    try {
      await command.run(ctx, values, args);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        throw new CliError(
          EXIT.denied,
          settings.keySource === null
            ? `${err.message}\nnot signed in to ${settings.server}: run berth login, or set BERTH_API_KEY`
            : `${err.message}\nthe API key from ${settings.keySource} was refused (revoked or mistyped?)`,
        );
      }
      throw err;
    }
    return EXIT.ok;
  } catch (err) {
    term.progress(null);
    if (err instanceof CliError) {
      term.err(`berth: ${err.message}\n`);
      return err.exitCode;
    }
    term.err(`berth: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
}
