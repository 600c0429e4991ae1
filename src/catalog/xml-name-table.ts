/**
 * Element and attribute names for the streaming tag scanner, read from UTF-8 bytes and interned so
 * that a document with a million tags allocates each distinct name once. Name characters follow
 * XML 1.0 §2.3 for ASCII; every non-ASCII byte is accepted as a name byte (its UTF-8 is checked
 * elsewhere). Qualified names follow Namespaces in XML 1.0 §4.
 */

export interface XmlName {
  /** The name as written, prefix included. */
  readonly qname: string;
  /** The prefix before `:`, or `''`. */
  readonly prefix: string;
  readonly local: string;
  /** Index of `local` in the table's known names, or -1. */
  readonly known: number;
  /** For a namespace declaration (`xmlns`, `xmlns:p`), the prefix it binds (`''` or `p`). */
  readonly namespacePrefix: string | undefined;
}

const NAME_START = new Uint8Array(256);
const NAME_CHAR = new Uint8Array(256);
for (let b = 0; b < 256; b += 1) {
  const letter = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
  const start = letter || b === 0x5f /* _ */ || b === 0x3a /* : */ || b >= 0x80;
  NAME_START[b] = start ? 1 : 0;
  NAME_CHAR[b] = start || (b >= 0x30 && b <= 0x39) || b === 0x2d /* - */ || b === 0x2e /* . */ ? 1 : 0;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Distinct names kept; a document with more gets fresh (uninterned) names beyond this. */
const MAX_INTERNED = 4096;
/** Slots of the direct-mapped cache of recent names (a power of two). */
const RECENT_SLOTS = 256;

interface Entry {
  bytes: Uint8Array;
  name: XmlName;
}

/** Byte comparison in plain code: for a dozen bytes it beats a call into Buffer.compare. */
function sameBytes(bytes: Uint8Array, data: Uint8Array, start: number, end: number): boolean {
  if (bytes.length !== end - start) return false;
  for (let i = 0; i < bytes.length; i += 1) if (bytes[i] !== data[start + i]) return false;
  return true;
}

export class NameTable {
  private readonly known: Map<string, number>;
  /** How many known names there are: XmlName.known is below it. */
  readonly knownCount: number;
  private readonly byHash = new Map<number, Entry>();
  private readonly recent: (Entry | undefined)[] = new Array<Entry | undefined>(RECENT_SLOTS).fill(undefined);

  constructor(knownNames: readonly string[]) {
    this.known = new Map(knownNames.map((n, i) => [n, i]));
    this.knownCount = knownNames.length;
  }

  /** Index after the name starting at `start`, or `start` itself when no name starts there. */
  scanName(data: Uint8Array, start: number): number {
    if (start >= data.length) return start + 1; // incomplete: the caller sees "past the end"
    if (NAME_START[data[start] as number] === 0) return start;
    let i = start + 1;
    while (i < data.length && NAME_CHAR[data[i] as number] === 1) i += 1;
    return i;
  }

  /** The name `data[start..end)`, or undefined when it is not a well-formed qualified name. */
  lookup(data: Buffer, start: number, end: number): XmlName | undefined {
    // A direct-mapped cache in front of the hash map: a document uses a few dozen names over and over.
    const slot = ((end - start) * 131 + (data[start] as number) * 31 + (data[end - 1] as number) * 7 + (data[(start + end) >> 1] as number)) & (RECENT_SLOTS - 1);
    const recent = this.recent[slot];
    if (recent !== undefined && sameBytes(recent.bytes, data, start, end)) return recent.name;
    let hash = FNV_OFFSET;
    for (let i = start; i < end; i += 1) hash = Math.imul(hash ^ (data[i] as number), FNV_PRIME);
    const entry = this.byHash.get(hash);
    if (entry !== undefined && sameBytes(entry.bytes, data, start, end)) {
      this.recent[slot] = entry;
      return entry.name;
    }
    const name = this.make(data.toString('utf8', start, end));
    if (name !== undefined && entry === undefined && this.byHash.size < MAX_INTERNED) {
      const made = { bytes: new Uint8Array(data.subarray(start, end)), name };
      this.byHash.set(hash, made);
      this.recent[slot] = made;
    }
    return name;
  }

  private make(qname: string): XmlName | undefined {
    const colon = qname.indexOf(':');
    if (colon !== qname.lastIndexOf(':') || colon === 0 || colon === qname.length - 1) return undefined;
    const prefix = colon < 0 ? '' : qname.slice(0, colon);
    const local = colon < 0 ? qname : qname.slice(colon + 1);
    const first = local.charCodeAt(0);
    if (colon > 0 && first < 0x80 && NAME_START[first] === 0) return undefined;
    let namespacePrefix: string | undefined;
    if (qname === 'xmlns') namespacePrefix = '';
    else if (prefix === 'xmlns') namespacePrefix = local;
    return { qname, prefix, local, known: this.known.get(local) ?? -1, namespacePrefix };
  }
}

/** Distinct attribute values kept by SharedStrings. */
const MAX_SHARED_VALUES = 1 << 16;

/** True when `text` (ASCII) spells the bytes `data[start..end)`. */
function spells(text: string, data: Uint8Array, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) !== data[start + i]) return false;
  return true;
}

/**
 * Attribute values that repeat (category types, languages, URL directories) read from bytes as one
 * shared string each, so that reading them again allocates nothing. Only ASCII values are kept.
 */
export class SharedStrings {
  private readonly byHash = new Map<number, string>();
  /** A direct-mapped cache in front of `byHash`: most values repeat the one read shortly before. */
  private readonly recent: (string | undefined)[] = new Array<string | undefined>(RECENT_SLOTS).fill(undefined);

  /** The UTF-8 text `data[start..end)`. */
  get(data: Buffer, start: number, end: number): string {
    const length = end - start;
    // The slot mixes the length and bytes near the end, where repeated values (URL directories
    // that differ in year and month, GUIDs) tend to differ; a miss only costs the hash below.
    const slot = length < 2 ? 0 : (length * 131 + (data[end - 1] as number) * 31 + (data[end - 2] as number) * 7 + (data[start + (length >> 1)] as number)) & (RECENT_SLOTS - 1);
    const recent = this.recent[slot];
    if (recent !== undefined && spells(recent, data, start, end)) return recent;
    let hash = FNV_OFFSET;
    let ascii = true;
    for (let i = start; i < end; i += 1) {
      const b = data[i] as number;
      if (b >= 0x80) ascii = false;
      hash = Math.imul(hash ^ b, FNV_PRIME);
    }
    if (!ascii) return data.toString('utf8', start, end);
    const known = this.byHash.get(hash);
    if (known !== undefined && spells(known, data, start, end)) {
      this.recent[slot] = known;
      return known;
    }
    const value = data.toString('latin1', start, end);
    if (known === undefined && this.byHash.size < MAX_SHARED_VALUES) {
      this.byHash.set(hash, value);
      this.recent[slot] = value;
    }
    return value;
  }
}
