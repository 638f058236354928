/**
 * The `berth` command-line client: talks to a running Berth over its API (see docs/cli.md).
 *
 *   node apps/server/dist/cli/berth.js <command> [<subcommand>] [arguments] [options]
 *
 * It imports only the API contract, the domain's name rules and Node itself: never the store or
 * the server's services, so it is exactly as capable as any other API client.
 */
import { runCli } from './client/main.js';
import { processTerminal } from './client/terminal.js';

process.exitCode = await runCli(process.argv.slice(2), processTerminal(), process.env);
