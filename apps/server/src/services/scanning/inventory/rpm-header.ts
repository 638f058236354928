/**
 * The RPM header blob as rpmdb stores it (rpm's `lib/header.c`, without the 8-byte magic
 * that package files put in front): index count `il` and data length `dl` (big-endian
 * uint32), `il` index entries of 16 bytes (tag, type, offset, count), then `dl` bytes of
 * data that the entries point into.
 */
export interface RpmHeaderFields {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  /** The source package's file name: `openssl-3.0.7-24.el9.src.rpm`. */
  sourceRpm?: string;
}

const RPM_TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  ARCH: 1022,
  SOURCERPM: 1044,
} as const;

const RPM_TYPE = {
  INT32: 4,
  STRING: 6,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

const PREAMBLE_SIZE = 8;
const ENTRY_SIZE = 16;
/** rpm's own limits (`hdrchkTags`, `hdrchkData`): larger counts mean a corrupt header. */
const MAX_ENTRIES = 0xffff;
const MAX_DATA_BYTES = 256 * 1024 * 1024;

/**
 * Null for a blob that is not a well-formed header or lacks a name, version or release.
 * Every offset is checked against the blob: rpmdb content comes from an image anyone could
 * have pushed.
 */
export function readRpmHeader(blob: Buffer): RpmHeaderFields | null {
  if (blob.length < PREAMBLE_SIZE) return null;
  const entryCount = blob.readUInt32BE(0);
  const dataLength = blob.readUInt32BE(4);
  if (entryCount === 0 || entryCount > MAX_ENTRIES || dataLength > MAX_DATA_BYTES) return null;
  const dataStart = PREAMBLE_SIZE + entryCount * ENTRY_SIZE;
  const dataEnd = dataStart + dataLength;
  if (dataEnd > blob.length) return null;
  const data = blob.subarray(dataStart, dataEnd);

  const strings = new Map<number, string>();
  let epoch: number | undefined;
  for (let index = 0; index < entryCount; index += 1) {
    const at = PREAMBLE_SIZE + index * ENTRY_SIZE;
    const tag = blob.readInt32BE(at);
    const type = blob.readUInt32BE(at + 4);
    const offset = blob.readInt32BE(at + 8);
    const count = blob.readUInt32BE(at + 12);
    if (offset < 0 || offset >= data.length || count === 0) continue;
    if (tag === RPM_TAG.EPOCH) {
      if (type === RPM_TYPE.INT32 && offset + 4 <= data.length) epoch = data.readInt32BE(offset);
    } else if (isWantedStringTag(tag) && isStringType(type)) {
      // String arrays and translated strings hold several values; the first is the one
      // rpm itself shows (the untranslated C locale one, for I18NSTRING).
      const text = readCString(data, offset);
      if (text !== null) strings.set(tag, text);
    }
  }

  const name = strings.get(RPM_TAG.NAME);
  const version = strings.get(RPM_TAG.VERSION);
  const release = strings.get(RPM_TAG.RELEASE);
  if (!name || !version || !release) return null;
  const fields: RpmHeaderFields = { name, version, release };
  if (epoch !== undefined && epoch >= 0) fields.epoch = epoch;
  const arch = strings.get(RPM_TAG.ARCH);
  if (arch) fields.arch = arch;
  const sourceRpm = strings.get(RPM_TAG.SOURCERPM);
  if (sourceRpm) fields.sourceRpm = sourceRpm;
  return fields;
}

function isWantedStringTag(tag: number): boolean {
  return (
    tag === RPM_TAG.NAME ||
    tag === RPM_TAG.VERSION ||
    tag === RPM_TAG.RELEASE ||
    tag === RPM_TAG.ARCH ||
    tag === RPM_TAG.SOURCERPM
  );
}

function isStringType(type: number): boolean {
  return type === RPM_TYPE.STRING || type === RPM_TYPE.STRING_ARRAY || type === RPM_TYPE.I18NSTRING;
}

/** Null when no terminating NUL comes before the end of the data store. */
function readCString(data: Buffer, offset: number): string | null {
  const end = data.indexOf(0, offset);
  return end < 0 ? null : data.toString('utf8', offset, end);
}
