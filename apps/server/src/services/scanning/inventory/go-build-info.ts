/**
 * The build information the Go linker embeds in every binary (what `go version -m` prints),
 * decoded as Go's own `debug/buildinfo` and `runtime/debug.ParseBuildInfo` do.
 */
export interface GoBuildInfo {
  /** The toolchain that built the binary, as it names itself: `go1.21.3`. */
  goVersion: string;
  /** The module holding the main package; absent for binaries built outside module mode. */
  main?: GoModule;
  deps: GoModule[];
}

export interface GoModule {
  path: string;
  /** Empty for a module replaced by a local folder, which has no version. */
  version: string;
  replace?: { path: string; version: string };
}

/** Followed by the pointer size (byte 14) and flags (byte 15): a 16-byte header start. */
const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
/** The linker aligns the blob to 16 bytes in memory; see the note in `findBlobs`. */
const ALIGNMENT = 16;
/** Go 1.18+ sets it when the two strings follow the header inline instead of via pointers. */
const FLAG_INLINE_STRINGS = 2;
/**
 * `cmd/go/internal/modload.infoStart` / `infoEnd` frame the module text so that the linker
 * can find it; each is 16 bytes, and the text before the end one closes with a newline.
 */
const SENTINEL_SIZE = 16;
const NEWLINE = 0x0a;

/** Null when the content holds no readable Go 1.18+ build information. */
export function readGoBuildInfo(content: Buffer): GoBuildInfo | null {
  for (const start of findBlobs(content)) {
    const info = decodeBlob(content, start);
    if (info) return info;
  }
  return null;
}

/**
 * Go's reader looks only in the data segment, which takes parsing the executable's program
 * headers. Scanning the whole file instead is simpler and lands on the same blob: ELF
 * requires a loadable segment's file offset to be congruent to its address modulo the page
 * size, so an address aligned to 16 is a file offset aligned to 16. A binary that merely
 * contains the magic text (a program that reads build info itself) fails to decode there,
 * and the scan moves on.
 */
function* findBlobs(content: Buffer): Generator<number> {
  let from = 0;
  for (;;) {
    const at = content.indexOf(MAGIC, from);
    if (at < 0 || content.length - at < HEADER_SIZE) return;
    if (at % ALIGNMENT === 0) yield at;
    from = at + 1;
  }
}

function decodeBlob(content: Buffer, start: number): GoBuildInfo | null {
  const flags = content[start + 15] ?? 0;
  // Before Go 1.18 the header held two pointers to the strings, which would have to be
  // mapped through the program headers to file offsets. Binaries that old are out of
  // support upstream; they are reported as not readable rather than guessed at.
  if ((flags & FLAG_INLINE_STRINGS) === 0) return null;
  const version = readVarintBytes(content, start + HEADER_SIZE);
  if (!version || version.bytes.length === 0) return null;
  const modules = readVarintBytes(content, version.end);
  if (!modules) return null;
  return parseModuleText(version.bytes.toString('utf8'), unframe(modules.bytes));
}

/** `binary.Uvarint`-prefixed bytes, or null when the length or the bytes run past the end. */
function readVarintBytes(content: Buffer, start: number): { bytes: Buffer; end: number } | null {
  let length = 0;
  let offset = start;
  for (let shift = 0; ; shift += 7) {
    const byte = content[offset];
    // Past 2^35 no length can fit in a buffer, so longer varints are corrupt ones.
    if (byte === undefined || shift > 28) return null;
    length += (byte & 0x7f) * 2 ** shift;
    offset += 1;
    if ((byte & 0x80) === 0) break;
  }
  const end = offset + length;
  if (end > content.length) return null;
  return { bytes: content.subarray(offset, end), end };
}

/**
 * The sentinels are arbitrary bytes, not UTF-8, so they come off before the text is decoded.
 * Text without them is what Go reports too: no module information.
 */
function unframe(framed: Buffer): string {
  const end = framed.length - SENTINEL_SIZE;
  if (framed.length < 2 * SENTINEL_SIZE + 1 || framed[end - 1] !== NEWLINE) return '';
  return framed.toString('utf8', SENTINEL_SIZE, end);
}

/**
 * The lines `BuildInfo.String` writes. Go rejects the whole text on one malformed line; here
 * such a line is passed over, so that one odd entry does not hide every other module.
 */
function parseModuleText(goVersion: string, text: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, deps: [] };
  // A replacement line applies to the module on the line just before it, and only once.
  let last: GoModule | null = null;
  for (const line of text.split('\n')) {
    const [word, ...columns] = line.split('\t');
    if (word === 'mod' || word === 'dep') {
      last = null;
      if (columns.length !== 2 && columns.length !== 3) continue;
      const [path = '', version = ''] = columns;
      if (path === '') continue;
      last = { path, version };
      if (word === 'mod') info.main = last;
      else info.deps.push(last);
    } else if (word === '=>') {
      const [path = '', version = ''] = columns;
      if (last && columns.length === 3 && path !== '') last.replace = { path, version };
      last = null;
    }
  }
  return info;
}
