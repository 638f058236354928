import {
  type ImagePointer,
  type RetentionRules,
  type RetentionVerdict,
  compileRules,
  describeReason,
} from '@berth/domain';
import type { Db } from '../database.js';
import { evaluateRepositories, type RepositorySelection, scannedImage } from './evaluate.js';
import { DECISION_CODES, type PreviewColumns, allocateColumns } from './preview-codec.js';

export interface Counts {
  images: number;
  keep: number;
  protected: number;
  delete: number;
  deleteBytes: number;
}

export interface PreviewRepository extends Counts {
  id: number;
  name: string;
  /** Where its images start in the packed columns, and how many there are. */
  offset: number;
  count: number;
}

/** The decisions for a range of repositories; a preview is one part or several merged. */
export interface PreviewPart {
  columns: PreviewColumns;
  count: number;
  repositories: PreviewRepository[];
  /** Protection sentences; a column value k > 0 means protections[k - 1]. */
  protections: string[];
  /** Manifest ids the preview deletes. */
  deleting: Float64Array;
}

const COLUMN_KEYS = ['manifestIds', 'revisions', 'ranks', 'protections', 'decisions'] as const;

function rankOf(v: RetentionVerdict<number>): number | null {
  const r = v.reason;
  if (r.code === 'rank' || r.code === 'beyond-keep' || r.code === 'protected') return r.rank;
  return null;
}

function resize(columns: PreviewColumns, count: number, size: number): PreviewColumns {
  const out = allocateColumns(size);
  for (const key of COLUMN_KEYS) {
    (out[key] as Uint8Array).set((columns[key] as Uint8Array).subarray(0, count));
  }
  return out;
}

export async function buildPreviewPart(
  db: Db,
  namespaceId: number,
  rules: RetentionRules,
  pointers: readonly ImagePointer[],
  select: RepositorySelection,
  expectedImages: number,
  /** When the rules are applied (a preview's, a confirmation's or a run's time). */
  evaluatedAt: number,
): Promise<PreviewPart> {
  let columns = allocateColumns(Math.max(16, expectedImages));
  let count = 0;
  const protections = new Map<string, number>();
  const repositories: PreviewRepository[] = [];
  let deleting = new Float64Array(Math.max(16, expectedImages));
  let deleted = 0;
  for await (const { repository, verdicts } of evaluateRepositories(
    db,
    namespaceId,
    compileRules(rules, evaluatedAt),
    pointers,
    select,
  )) {
    const entry: PreviewRepository = {
      id: repository.id,
      name: repository.name,
      offset: count,
      count: verdicts.length,
      images: 0,
      keep: 0,
      protected: 0,
      delete: 0,
      deleteBytes: 0,
    };
    if (count + verdicts.length > columns.manifestIds.length) {
      columns = resize(columns, count, Math.max(count + verdicts.length, count * 2));
    }
    if (deleted + verdicts.length > deleting.length) {
      const bigger = new Float64Array(Math.max(deleted + verdicts.length, deleting.length * 2));
      bigger.set(deleting.subarray(0, deleted));
      deleting = bigger;
    }
    for (const v of verdicts) {
      const image = scannedImage(v);
      columns.manifestIds[count] = image.key;
      columns.revisions[count] = image.revision;
      columns.decisions[count] = DECISION_CODES[v.decision];
      columns.ranks[count] = rankOf(v) ?? 0;
      if (v.decision === 'protected') {
        const text = describeReason(v.reason);
        let index = protections.get(text);
        if (index === undefined) {
          index = protections.size;
          protections.set(text, index);
        }
        columns.protections[count] = index + 1;
      }
      count++;
      entry.images++;
      entry[v.decision]++;
      if (v.decision === 'delete') {
        entry.deleteBytes += image.sizeBytes;
        deleting[deleted++] = image.key;
      }
    }
    repositories.push(entry);
  }
  return {
    columns: resize(columns, count, count),
    count,
    repositories,
    protections: [...protections.keys()],
    deleting: deleting.slice(0, deleted),
  };
}

/** Parts in repository-name order become one preview: offsets and protection numbers shift. */
export function mergeParts(parts: readonly PreviewPart[]): PreviewPart {
  if (parts.length === 1 && parts[0]) return parts[0];
  const count = parts.reduce((s, p) => s + p.count, 0);
  const columns = allocateColumns(count);
  const protections = new Map<string, number>();
  const repositories: PreviewRepository[] = [];
  const deleting = new Float64Array(parts.reduce((s, p) => s + p.deleting.length, 0));
  let offset = 0;
  let deleted = 0;
  for (const part of parts) {
    const renumber = part.protections.map((text) => {
      let index = protections.get(text);
      if (index === undefined) {
        index = protections.size;
        protections.set(text, index);
      }
      return index + 1;
    });
    for (const key of COLUMN_KEYS) {
      (columns[key] as Uint8Array).set(part.columns[key] as Uint8Array, offset);
    }
    for (let i = 0; i < part.count; i++) {
      const k = part.columns.protections[i] as number;
      if (k > 0) columns.protections[offset + i] = renumber[k - 1] as number;
    }
    for (const r of part.repositories) repositories.push({ ...r, offset: r.offset + offset });
    deleting.set(part.deleting, deleted);
    deleted += part.deleting.length;
    offset += part.count;
  }
  return { columns, count, repositories, protections: [...protections.keys()], deleting };
}
