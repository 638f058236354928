import type { ParseArgsConfig } from 'node:util';
import type { Api } from './api.js';
import type { Terminal } from './terminal.js';

export type OptionSpec = {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help: `--keep N`. */
  value?: string;
  description: string;
};

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Context {
  term: Terminal;
  json: boolean;
  env: NodeJS.ProcessEnv;
  /** The API at the resolved server, with the resolved key. */
  api: Api;
  /** Prints a value: JSON on stdout for --output json, else the human rendering. */
  print(value: unknown, human: () => string): void;
}

export interface Command {
  /** One or two words after the group ("list", "policy set"); "" for a top-level command. */
  name: string;
  summary: string;
  /** The arguments after the command words: "<namespace>/<repository>". */
  args?: string;
  options?: Record<string, OptionSpec>;
  /** Exact number of positionals, or [min, max]. */
  positionals: number | [number, number];
  /** More help: what it asks, what --force does. */
  details?: string;
  run(ctx: Context, values: Values, positionals: string[]): Promise<void>;
}

export interface Group {
  name: string;
  summary: string;
  commands: Command[];
}

export const pagingOptions: Record<string, OptionSpec> = {
  limit: { type: 'string', value: 'N', description: 'items per page (1–200, default 50)' },
  all: { type: 'boolean', description: 'follow every page' },
};

export function parseArgsOptions(options: Record<string, OptionSpec>): ParseArgsConfig['options'] {
  return Object.fromEntries(
    Object.entries(options).map(([name, o]) => [
      name,
      {
        type: o.type,
        ...(o.short ? { short: o.short } : {}),
        ...(o.multiple ? { multiple: true } : {}),
      },
    ]),
  );
}

export const str = (v: Values, name: string): string | undefined => {
  const value = v[name];
  return typeof value === 'string' ? value : undefined;
};
export const bool = (v: Values, name: string): boolean => v[name] === true;
export const strs = (v: Values, name: string): string[] => {
  const value = v[name];
  return Array.isArray(value) ? value : [];
};
