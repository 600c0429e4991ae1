/**
 * The attributes of the start tag the streaming tag scanner (xml-tag-scanner.ts) is reporting: their
 * values are checked in place (XML 1.0 §3.1 AttValue: no `<`, only well-formed references, §4.1)
 * and kept as spans of the scanner's bytes, so that a value nobody asks for is never decoded and a
 * value asked for is decoded once, normalised only when it has to be (§3.3.3).
 */
import { checkReference, isXmlSpace, normalizeAttributeValue } from './xml-references.ts';
import { SharedStrings, type NameTable, type XmlName } from './xml-name-table.ts';

const LT = 0x3c;
const EQ = 0x3d;
const AMP = 0x26;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const NON_ASCII = 0x80;
const DIGIT_0 = 0x30;
/** Longest decimalAttribute(): every such number is exact in a double. */
export const MAX_DECIMAL_DIGITS = 15;

/** Attribute value flags. */
const VALUE_NON_ASCII = 1;
const VALUE_NEEDS_NORMALIZING = 2;

/**
 * Byte classes inside attribute values: the loop over them is the scanner's hottest. The closing
 * quote is a class of its own, so one pass both finds the end of a value and checks it.
 */
const PLAIN = 0;
const NON_ASCII_BYTE = 1;
const WHITE_SPACE = 2;
const SPECIAL = 3;
const CLOSING_QUOTE = 4;
function valueBytes(quote: number): Uint8Array {
  return new Uint8Array(256).map((_, b) => {
    if (b === quote) return CLOSING_QUOTE;
    if (b >= NON_ASCII) return NON_ASCII_BYTE;
    if (b === TAB || b === LF || b === CR) return WHITE_SPACE;
    if (b < SPACE || b === LT || b === AMP) return SPECIAL;
    return PLAIN;
  });
}
const IN_DOUBLE_QUOTES = valueBytes(DQUOTE);
const IN_SINGLE_QUOTES = valueBytes(SQUOTE);

/** Fails at index `at` of the scanned bytes (the scanner adds its base offset). */
export type FailAtIndex = (at: number, reason: string) => never;

export class XmlAttributes {
  /** The bytes the spans point into (the scanner's current data). */
  data: Buffer = Buffer.alloc(0);
  count = 0;
  /** The span selected by selectRaw(). */
  rawStart = 0;
  rawEnd = 0;
  private names: XmlName[] = [];
  /** Value start, end and flags of each attribute, in `data`. */
  private spans = new Int32Array(3 * 16);
  private readonly shared = new SharedStrings();
  /** Flags of the value scanValue() checked last. */
  private scannedFlags = 0;
  /** Index of the unprefixed attribute with each known name in this tag, or -1 (see find()). */
  private readonly byKnown: Int32Array;

  constructor(
    private readonly table: NameTable,
    private readonly fail: FailAtIndex,
  ) {
    this.byKnown = new Int32Array(table.knownCount).fill(-1);
  }

  /** Forgets the previous tag's attributes. */
  reset(data: Buffer): void {
    this.data = data;
    for (let k = 0; k < this.count; k += 1) {
      const known = (this.names[k] as XmlName).known;
      if (known >= 0) this.byKnown[known] = -1;
    }
    this.count = 0;
  }

  /**
   * Reads and adds one `name = "value"` at `data[j]` of the start tag of `element`; returns the index
   * after the closing quote, or -1 when the data ends before it.
   */
  scanAttribute(element: XmlName, j: number): number {
    const data = this.data;
    const len = data.length;
    const nameEnd = this.table.scanName(data, j);
    if (nameEnd === j) this.fail(j, `an unexpected character in <${element.qname}>`);
    if (nameEnd >= len) return -1;
    const attr = this.table.lookup(data, j, nameEnd) ?? this.fail(j, `"${data.toString('utf8', j, nameEnd)}" is not a well-formed qualified name`);
    let k = nameEnd;
    while (k < len && isXmlSpace(data[k] as number)) k += 1;
    if (k >= len) return -1;
    if (data[k] !== EQ) this.fail(k, `attribute ${attr.qname} of <${element.qname}> has no "=" and value`);
    k += 1;
    while (k < len && isXmlSpace(data[k] as number)) k += 1;
    if (k >= len) return -1;
    const quote = data[k] as number;
    if (quote !== DQUOTE && quote !== SQUOTE) this.fail(k, `the value of attribute ${attr.qname} of <${element.qname}> is not quoted`);
    const valueEnd = this.scanValue(attr, k + 1, quote);
    if (valueEnd < 0) return -1;
    if (this.duplicateOf(attr) !== undefined) this.fail(j, `attribute ${attr.qname} appears twice in <${element.qname}>`);
    this.add(attr, k + 1, valueEnd);
    return valueEnd + 1;
  }

  /**
   * Checks the value of attribute `name` that starts after the `quote` at `data[start - 1]` and adds
   * it; returns the index of the closing quote, or -1 when the data ends before it.
   */
  private scanValue(name: XmlName, start: number, quote: number): number {
    const data = this.data;
    const len = data.length;
    const classes = quote === DQUOTE ? IN_DOUBLE_QUOTES : IN_SINGLE_QUOTES;
    let flags = 0;
    let v = start;
    for (; v < len; v += 1) {
      const b = data[v] as number;
      const kind = classes[b] as number;
      if (kind === PLAIN) continue;
      if (kind === CLOSING_QUOTE) break;
      if (kind === NON_ASCII_BYTE) flags |= VALUE_NON_ASCII;
      else if (kind === WHITE_SPACE) flags |= VALUE_NEEDS_NORMALIZING;
      else {
        // A value is judged only once it is complete, so that a cut-off value waits for more data.
        const end = data.indexOf(quote, v);
        if (end < 0) return -1;
        if (b === AMP) {
          const after = checkReference(data, v, end);
          if (typeof after === 'string') this.fail(v, after);
          flags |= VALUE_NEEDS_NORMALIZING;
          v = after - 1;
        } else if (b === LT) this.fail(v, `a "<" in the value of attribute ${name.qname}`);
        else this.fail(v, `the control character 0x${b.toString(16)} in attribute ${name.qname}`);
      }
    }
    if (v >= len) return -1;
    this.scannedFlags = flags;
    return v;
  }

  /** The attribute already added under the same qualified name, or undefined. */
  private duplicateOf(name: XmlName): XmlName | undefined {
    for (let p = 0; p < this.count; p += 1) {
      const other = this.names[p] as XmlName;
      if (other === name || other.qname === name.qname) return other;
    }
    return undefined;
  }

  /** Adds the attribute whose value scanValue() just checked in `data[start..end)`. */
  private add(name: XmlName, start: number, end: number): void {
    const n = this.count;
    if (3 * n + 3 > this.spans.length) {
      const bigger = new Int32Array(this.spans.length * 2);
      bigger.set(this.spans);
      this.spans = bigger;
    }
    this.names[n] = name;
    // Unprefixed names are unique in a tag (duplicateOf()), so each known one has at most one index.
    if (name.known >= 0 && name.prefix === '') this.byKnown[name.known] = n;
    this.spans[3 * n] = start;
    this.spans[3 * n + 1] = end;
    this.spans[3 * n + 2] = this.scannedFlags;
    this.count = n + 1;
  }

  name(k: number): XmlName {
    return this.names[k] as XmlName;
  }

  /** Index of the unprefixed attribute whose local name is known name `known`, or -1. */
  find(known: number): number {
    return this.byKnown[known] ?? -1;
  }

  /** The decoded, normalised value of attribute `k`. */
  value(k: number): string {
    const start = this.spans[3 * k] as number;
    const end = this.spans[3 * k + 1] as number;
    const flags = this.spans[3 * k + 2] as number;
    const raw = this.data.toString(flags & VALUE_NON_ASCII ? 'utf8' : 'latin1', start, end);
    return flags & VALUE_NEEDS_NORMALIZING ? normalizeAttributeValue(raw) : raw;
  }

  /** See XmlTagScanner.attribute(). */
  attribute(known: number): string | undefined {
    const k = this.find(known);
    return k < 0 ? undefined : this.value(k);
  }

  /** See XmlTagScanner.sharedAttribute(). */
  sharedAttribute(known: number): string | undefined {
    const k = this.find(known);
    if (k < 0) return undefined;
    if (((this.spans[3 * k + 2] as number) & VALUE_NEEDS_NORMALIZING) !== 0) return this.value(k);
    return this.shared.get(this.data, this.spans[3 * k] as number, this.spans[3 * k + 1] as number);
  }

  /** See XmlTagScanner.decimalAttribute(). */
  decimalAttribute(known: number): number | undefined {
    const k = this.find(known);
    if (k < 0) return undefined;
    const start = this.spans[3 * k] as number;
    const end = this.spans[3 * k + 1] as number;
    if (((this.spans[3 * k + 2] as number) & VALUE_NEEDS_NORMALIZING) !== 0 || end === start || end - start > MAX_DECIMAL_DIGITS) return -1;
    let value = 0;
    for (let i = start; i < end; i += 1) {
      const d = (this.data[i] as number) - DIGIT_0;
      if (d < 0 || d > 9) return -1;
      value = value * 10 + d;
    }
    return value;
  }

  /** See XmlTagScanner.selectRaw(). */
  selectRaw(known: number): boolean {
    const k = this.find(known);
    if (k < 0 || ((this.spans[3 * k + 2] as number) & VALUE_NEEDS_NORMALIZING) !== 0) return false;
    this.rawStart = this.spans[3 * k] as number;
    this.rawEnd = this.spans[3 * k + 1] as number;
    return true;
  }
}
