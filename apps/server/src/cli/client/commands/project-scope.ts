import fs from 'node:fs';
import type { ProjectSummary } from '@berth/contract';
import { type Context, type OptionSpec, type Values, str } from '../command.js';
import { usageError } from '../exit-codes.js';
import { findProject, regionOption } from './projects.js';

/** Apps, jobs, secrets and config maps live in a project: every verb names it. */
export const projectScopeOptions: Record<string, OptionSpec> = {
  project: { type: 'string', short: 'p', value: 'NAME|ID', description: 'the project (required)' },
  ...regionOption,
};

export async function projectOf(ctx: Context, v: Values): Promise<ProjectSummary> {
  const project = str(v, 'project');
  if (project === undefined) throw usageError('--project NAME is required');
  return findProject(ctx, project, str(v, 'region'), 'active');
}

/** `KEY=VALUE` (split at the first "="), as env files and kubectl write them. */
export function keyValue(flag: string, text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usageError(`${flag} takes KEY=VALUE (got "${text}")`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** A file's whole content, as is: a missing or unreadable file is a usage error, before any call. */
export function readValueFile(flag: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw usageError(`${flag}: cannot read "${file}" (${reason})`);
  }
}

/** `--from-file KEY=PATH`: entries whose value is the file's content. */
export function fileEntries(flag: string, given: string[]): [string, string][] {
  return given.map((g) => {
    const [key, file] = keyValue(flag, g);
    return [key, readValueFile(flag, file)];
  });
}

/**
 * One map from several sources; a key given twice is a usage error rather than a silent
 * overwrite, since which one wins would be a guess.
 */
export function mergeEntries(sources: [string, string][][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of sources.flat()) {
    if (Object.hasOwn(out, k)) throw usageError(`key "${k}" is given twice`);
    out[k] = val;
  }
  return out;
}
