import { type PreviewColumns, BYTES_PER_DECISION } from './preview-codec.js';

/**
 * The decoded decisions of the previews this process made or read last, least recently used
 * dropped first. A preview's decisions never change once stored, so a copy can be kept as long
 * as memory allows: a page of a million-image preview then reads only its row's small columns
 * (reading and decoding the 21 MB of decisions took ~1 s a page on PostgreSQL). Whether the
 * preview still exists is always read from the database; only its decisions come from here.
 */
export class PreviewColumnsCache {
  private readonly entries = new Map<string, { columns: PreviewColumns; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(id: string): PreviewColumns | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.columns;
  }

  /** Keeps `columns` (not copied: nobody may change them) unless they alone exceed the bound. */
  set(id: string, columns: PreviewColumns): void {
    const bytes = columns.decisions.length * BYTES_PER_DECISION;
    this.delete(id);
    if (bytes > this.maxBytes) return;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes + bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
    this.entries.set(id, { columns, bytes });
    this.bytes += bytes;
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.bytes -= entry.bytes;
  }

  /** What the kept decisions take, in bytes. */
  get size(): number {
    return this.bytes;
  }
}
