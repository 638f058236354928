import { type PreviewColumns, BYTES_PER_DECISION } from './preview-codec.js';

/** The parts of a stored preview that never change once it is made. */
export interface KeptPreview<Summary> {
  summary?: Summary;
  /** Its summary's size as stored, for the bound. */
  summaryBytes?: number;
  columns?: PreviewColumns;
}

/**
 * The summaries and decoded decisions of the previews this process made or read last, least
 * recently used dropped first. Neither changes once a preview is stored, so a copy can be kept
 * as long as memory allows: a page of a million-image preview then reads only its row's small
 * columns (reading and decoding its 21 MB of decisions took ~1 s a page on PostgreSQL, and its
 * summary of 10,000 repositories 1.4 MB of JSON). Whether the preview still exists, and whether
 * it was confirmed, are always read from the database.
 */
export class PreviewCache<Summary> {
  private readonly entries = new Map<string, { parts: KeptPreview<Summary>; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(id: string): KeptPreview<Summary> | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.parts;
  }

  /** Adds `parts` (not copied: nobody may change them) to what is kept of preview `id`. */
  keep(id: string, parts: KeptPreview<Summary>): void {
    const kept = { ...this.entries.get(id)?.parts, ...parts };
    const bytes =
      (kept.columns?.decisions.length ?? 0) * BYTES_PER_DECISION + (kept.summaryBytes ?? 0);
    this.delete(id);
    if (bytes > this.maxBytes) return;
    for (const [oldest, old] of this.entries) {
      if (this.bytes + bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= old.bytes;
    }
    this.entries.set(id, { parts: kept, bytes });
    this.bytes += bytes;
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
  }

  /** What the kept previews take, in bytes. */
  get size(): number {
    return this.bytes;
  }
}
