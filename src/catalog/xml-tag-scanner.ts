/**
 * A streaming XML scanner for documents whose information is all in tags and attributes, like
 * wsusscn2's package.xml. It works on UTF-8 bytes, never decodes text it does not hand out, and
 * reports every error with its byte offset. Well-formedness (XML 1.0 §2.1) is enforced except for
 * the Unicode classes of name characters (§2.3; non-ASCII name bytes are accepted as long as they
 * are valid UTF-8) and U+FFFE/U+FFFF in character data:
 * - one root element; start and end tags balanced; attributes quoted, unique, without `<`;
 * - only the five predefined entities and character references (§4.6); a DOCTYPE is refused
 *   outright, so no entity can ever be declared or expanded;
 * - comments without `--`, processing instructions, CDATA sections inside the root, the XML
 *   declaration only at the start and only for UTF-8;
 * - text outside the root only white space; `]]>` never in text;
 * - the bytes are well-formed UTF-8 (utf8-validator.ts);
 * - namespace prefixes bound (Namespaces in XML 1.0 §5); element names come with their namespace.
 * Text content itself is checked and dropped. A single tag, comment or text run longer than
 * MAX_TOKEN_BYTES is refused rather than buffered without bound.
 */
import { PatchdiscError } from '../errors.ts';
import { Utf8Validator } from './utf8-validator.ts';
import { checkReference, normalizeAttributeValue } from './xml-references.ts';
import { NameTable, SharedStrings, type XmlName } from './xml-name-table.ts';
import { parseMarkup, type MarkupContext } from './xml-markup.ts';

export type { XmlName } from './xml-name-table.ts';

/** Longest tag, comment, processing instruction or text run accepted (package.xml's are < 1 KiB). */
export const MAX_TOKEN_BYTES = 1 << 20;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const EQ = 0x3d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const AMP = 0x26;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const NON_ASCII = 0x80;
const DIGIT_0 = 0x30;
/** Longest decimalAttribute(): every such number is exact in a double. */
export const MAX_DECIMAL_DIGITS = 15;
const RSQB = 0x5d;
const BANG = 0x21;
const QUESTION = 0x3f;
/** UTF-8 byte order mark, allowed once at the very start. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Attribute value flags. */
const VALUE_NON_ASCII = 1;
const VALUE_NEEDS_NORMALIZING = 2;

/** Byte classes inside attribute values: the loop over them is the scanner's hottest. */
const PLAIN = 0;
const NON_ASCII_BYTE = 1;
const WHITE_SPACE = 2;
const SPECIAL = 3;
const VALUE_BYTE = new Uint8Array(256).map((_, b) => {
  if (b >= NON_ASCII) return NON_ASCII_BYTE;
  if (b === TAB || b === LF || b === CR) return WHITE_SPACE;
  if (b < SPACE || b === LT || b === AMP) return SPECIAL;
  return PLAIN;
});

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export interface XmlTagScannerOptions {
  /** Names the consumer switches on (element and attribute local names); see XmlName.known. */
  knownNames: readonly string[];
  /** Names the document in messages (`package.cab/package.xml`). */
  label: string;
  /** A start tag, after its attributes were checked; read them with `attribute()`. */
  onOpen: (name: XmlName, uri: string) => void;
  /** An end tag (also right after onOpen for `<empty/>`). */
  onClose: (name: XmlName) => void;
}

function isSpace(b: number): boolean {
  return b === SPACE || b === TAB || b === LF || b === CR;
}

export class XmlTagScanner implements MarkupContext {
  readonly label: string;
  private readonly names: NameTable;
  private readonly shared = new SharedStrings();
  private readonly onOpen: XmlTagScannerOptions['onOpen'];
  private readonly onClose: XmlTagScannerOptions['onClose'];
  private readonly utf8 = new Utf8Validator();
  /** Unconsumed bytes of the previous chunk (an incomplete token). */
  private carry: Buffer = Buffer.alloc(0);
  /** The bytes being scanned and the absolute offset of their first byte. */
  private data: Buffer = Buffer.alloc(0);
  private base = 0;
  /** Line ends before `base`, and absolute offset just after the last of them. */
  private linesBefore = 0;
  private lineStartBefore = 0;
  private readonly stack: XmlName[] = [];
  /** Prefixes bound by each open element (parallel to `stack`), and the bindings by prefix. */
  private readonly declared: (string[] | undefined)[] = [];
  private readonly bindings = new Map<string, string[]>([['xml', [XML_NS]]]);
  rootSeen = false;
  /** Offset where the XML declaration may stand: 0, or 3 after a byte order mark. */
  documentStart = 0;
  /** The current start tag's attributes: names, and value start, end and flags in `data`. */
  private attrCount = 0;
  private attrNames: XmlName[] = [];
  private attrSpans = new Int32Array(3 * 16);
  /** The span selected by selectRaw(). */
  rawStart = 0;
  rawEnd = 0;
  /** Absolute offset of the token being handled. */
  private tokenStart = 0;

  constructor(options: XmlTagScannerOptions) {
    this.label = options.label;
    this.names = new NameTable(options.knownNames);
    this.onOpen = options.onOpen;
    this.onClose = options.onClose;
  }

  get depth(): number {
    return this.stack.length;
  }

  /** Absolute byte offset of the tag being reported. */
  get byteOffset(): number {
    return this.tokenStart;
  }

  /** 1-based line of the tag being reported. */
  get line(): number {
    return this.position(this.tokenStart).line;
  }

  /** Feeds the next chunk of the document. */
  write(chunk: Uint8Array): void {
    const bad = this.utf8.push(chunk);
    if (bad >= 0) this.failAt(bad, 'a byte sequence that is not UTF-8');
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.data = this.carry.length === 0 ? bytes : Buffer.concat([this.carry, bytes]);
    const consumed = this.scan();
    this.advance(consumed);
    // Copy the rest so the chunk itself is not kept alive by a small tail.
    this.carry = Buffer.from(this.data.subarray(consumed));
    if (this.carry.length > MAX_TOKEN_BYTES) this.failAt(this.base, `a tag, comment or text run longer than ${MAX_TOKEN_BYTES} bytes`);
  }

  /** Ends the document: throws unless it was complete and well-formed. */
  end(): void {
    const end = this.base + this.carry.length;
    if (this.utf8.end() >= 0) this.failAt(this.utf8.end(), 'a UTF-8 sequence cut off by the end of the file');
    if (this.carry.length > 0) {
      if (this.carry.includes(LT)) this.failAt(end, 'unexpected end of file inside a tag');
      this.data = this.carry;
      this.text(0, this.carry.length);
    }
    const open = this.stack.at(-1);
    if (open !== undefined) this.failAt(end, `unexpected end of file: <${open.qname}> is not closed`);
    if (!this.rootSeen) this.failAt(end, 'the document has no root element');
  }

  /** The value of the current start tag's attribute whose unprefixed name is knownNames[known]. */
  attribute(known: number): string | undefined {
    const k = this.findAttribute(known);
    return k < 0 ? undefined : this.attributeValue(k);
  }

  /** Like attribute(), but a value read before comes back as the same string, without allocating. */
  sharedAttribute(known: number): string | undefined {
    const k = this.findAttribute(known);
    if (k < 0) return undefined;
    if (((this.attrSpans[3 * k + 2] as number) & VALUE_NEEDS_NORMALIZING) !== 0) return this.attributeValue(k);
    return this.shared.get(this.data, this.attrSpans[3 * k] as number, this.attrSpans[3 * k + 1] as number);
  }

  /**
   * The attribute as a non-negative decimal of at most MAX_DECIMAL_DIGITS digits: undefined when
   * absent, -1 when it is something else.
   */
  decimalAttribute(known: number): number | undefined {
    const k = this.findAttribute(known);
    if (k < 0) return undefined;
    const start = this.attrSpans[3 * k] as number;
    const end = this.attrSpans[3 * k + 1] as number;
    if (((this.attrSpans[3 * k + 2] as number) & VALUE_NEEDS_NORMALIZING) !== 0 || end === start || end - start > MAX_DECIMAL_DIGITS) return -1;
    let value = 0;
    for (let i = start; i < end; i += 1) {
      const d = (this.data[i] as number) - DIGIT_0;
      if (d < 0 || d > 9) return -1;
      value = value * 10 + d;
    }
    return value;
  }

  /**
   * Selects an attribute for reading its bytes in place, between `rawStart` and `rawEnd` of `rawBytes`
   * (valid only until onOpen returns). False when it is absent or holds references or white space
   * to normalise: read it with attribute() then.
   */
  selectRaw(known: number): boolean {
    const k = this.findAttribute(known);
    if (k < 0 || ((this.attrSpans[3 * k + 2] as number) & VALUE_NEEDS_NORMALIZING) !== 0) return false;
    this.rawStart = this.attrSpans[3 * k] as number;
    this.rawEnd = this.attrSpans[3 * k + 1] as number;
    return true;
  }

  /** The bytes selectRaw() points into. */
  get rawBytes(): Buffer {
    return this.data;
  }

  private findAttribute(known: number): number {
    for (let k = 0; k < this.attrCount; k += 1) {
      const name = this.attrNames[k] as XmlName;
      if (name.known === known && name.prefix === '') return k;
    }
    return -1;
  }

  /** Throws XML_INVALID for the byte at absolute `offset`. */
  failAt(offset: number, reason: string): never {
    const { line, column } = this.position(offset);
    throw new PatchdiscError('XML_INVALID', `Cannot parse ${this.label}: ${reason} at byte ${offset}; the file is damaged or truncated, download it again`, {
      details: { label: this.label, byteOffset: offset, line, column },
    });
  }

  /** Line (1-based) and byte column (1-based) of an absolute offset not before `base`. */
  private position(offset: number): { line: number; column: number } {
    let line = this.linesBefore + 1;
    let lineStart = this.lineStartBefore;
    const end = Math.min(offset - this.base, this.data.length);
    for (let i = this.data.indexOf(LF, 0); i >= 0 && i < end; i = this.data.indexOf(LF, i + 1)) {
      line += 1;
      lineStart = this.base + i + 1;
    }
    return { line, column: offset - lineStart + 1 };
  }

  /** Moves `base` past `consumed` bytes of `data`, counting their line ends. */
  private advance(consumed: number): void {
    for (let i = this.data.indexOf(LF, 0); i >= 0 && i < consumed; i = this.data.indexOf(LF, i + 1)) {
      this.linesBefore += 1;
      this.lineStartBefore = this.base + i + 1;
    }
    this.base += consumed;
  }

  /** Scans complete tokens of `data`; returns how many bytes were consumed. */
  private scan(): number {
    const data = this.data;
    const len = data.length;
    let i = 0;
    while (i < len) {
      if (data[i] !== LT) {
        const lt = data.indexOf(LT, i);
        if (lt < 0) return i; // the text may go on in the next chunk
        this.text(i, lt);
        i = lt;
        continue;
      }
      if (i + 1 >= len) return i;
      this.tokenStart = this.base + i;
      const next = data[i + 1];
      let after: number;
      if (next === SLASH) after = this.endTag(i);
      else if (next === BANG || next === QUESTION) after = parseMarkup(this, data, i, this.base);
      else after = this.startTag(i);
      if (after < 0) return i;
      i = after;
    }
    return i;
  }

  /** Checks character data `data[start..end)`; only white space (and a first BOM) may stand outside the root. */
  text(start: number, end: number): void {
    const data = this.data;
    if (this.stack.length === 0) {
      for (let i = start; i < end; i += 1) {
        if (isSpace(data[i] as number)) continue;
        if (this.base + i === 0 && end - i >= BOM.length && data.compare(BOM, 0, BOM.length, i, i + BOM.length) === 0) {
          this.documentStart = BOM.length;
          i += BOM.length - 1;
          continue;
        }
        this.failAt(this.base + i, this.rootSeen ? 'text after the root element' : 'text before the root element');
      }
      return;
    }
    for (let i = start; i < end; i += 1) {
      const b = data[i] as number;
      if (b > GT) continue;
      if (b === AMP) {
        const after = checkReference(data, i, end);
        if (typeof after === 'string') this.failAt(this.base + i, after);
        i = after - 1;
      } else if (b === GT && i >= start + 2 && data[i - 1] === RSQB && data[i - 2] === RSQB) {
        this.failAt(this.base + i - 2, '"]]>" in text');
      } else if (b < SPACE && b !== TAB && b !== LF && b !== CR) {
        this.failAt(this.base + i, `the control character 0x${b.toString(16)}`);
      }
    }
  }

  /** Parses the start tag at `i`; returns the index after it, or -1 when it is incomplete. */
  private startTag(i: number): number {
    const data = this.data;
    const len = data.length;
    const nameEnd = this.names.scanName(data, i + 1);
    if (nameEnd === i + 1) this.failAt(this.base + i + 1, 'a "<" that starts no tag (write &lt;)');
    if (nameEnd >= len) return -1;
    const name = this.nameAt(i + 1, nameEnd);
    let j = nameEnd;
    let selfClosing = false;
    this.attrCount = 0;
    for (;;) {
      const b = data[j];
      if (b === GT) {
        j += 1;
        break;
      }
      if (b === SLASH) {
        if (j + 1 >= len) return -1;
        if (data[j + 1] !== GT) this.failAt(this.base + j, `"/" not followed by ">" in <${name.qname}>`);
        selfClosing = true;
        j += 2;
        break;
      }
      if (!isSpace(b as number)) this.failAt(this.base + j, `an unexpected character in <${name.qname}> (attributes need white space between them)`);
      while (j < len && isSpace(data[j] as number)) j += 1;
      if (j >= len) return -1;
      if (data[j] === GT || data[j] === SLASH) continue;
      j = this.attributeSpan(name, j);
      if (j < 0 || j >= len) return -1;
    }
    this.handleStart(name, selfClosing);
    return j;
  }

  /** Reads one `name = "value"` at `j`; returns the index after the closing quote, or -1. */
  private attributeSpan(element: XmlName, j: number): number {
    const data = this.data;
    const len = data.length;
    const nameEnd = this.names.scanName(data, j);
    if (nameEnd === j) this.failAt(this.base + j, `an unexpected character in <${element.qname}>`);
    if (nameEnd >= len) return -1;
    const attr = this.nameAt(j, nameEnd);
    let k = nameEnd;
    while (k < len && isSpace(data[k] as number)) k += 1;
    if (k >= len) return -1;
    if (data[k] !== EQ) this.failAt(this.base + k, `attribute ${attr.qname} of <${element.qname}> has no "=" and value`);
    k += 1;
    while (k < len && isSpace(data[k] as number)) k += 1;
    if (k >= len) return -1;
    const quote = data[k];
    if (quote !== DQUOTE && quote !== SQUOTE) this.failAt(this.base + k, `the value of attribute ${attr.qname} of <${element.qname}> is not quoted`);
    const valueStart = k + 1;
    const valueEnd = data.indexOf(quote, valueStart);
    if (valueEnd < 0) return -1;
    let flags = 0;
    for (let v = valueStart; v < valueEnd; v += 1) {
      const b = data[v] as number;
      const kind = VALUE_BYTE[b] as number;
      if (kind === PLAIN) continue;
      if (kind === NON_ASCII_BYTE) flags |= VALUE_NON_ASCII;
      else if (kind === WHITE_SPACE) flags |= VALUE_NEEDS_NORMALIZING;
      else if (b === AMP) {
        const after = checkReference(data, v, valueEnd);
        if (typeof after === 'string') this.failAt(this.base + v, after);
        flags |= VALUE_NEEDS_NORMALIZING;
        v = after - 1;
      } else if (b === LT) this.failAt(this.base + v, `a "<" in the value of attribute ${attr.qname}`);
      else this.failAt(this.base + v, `the control character 0x${b.toString(16)} in attribute ${attr.qname}`);
    }
    const n = this.attrCount;
    for (let p = 0; p < n; p += 1) {
      if ((this.attrNames[p] as XmlName).qname === attr.qname) this.failAt(this.base + j, `attribute ${attr.qname} appears twice in <${element.qname}>`);
    }
    if (3 * n + 3 > this.attrSpans.length) {
      const bigger = new Int32Array(this.attrSpans.length * 2);
      bigger.set(this.attrSpans);
      this.attrSpans = bigger;
    }
    this.attrNames[n] = attr;
    this.attrSpans[3 * n] = valueStart;
    this.attrSpans[3 * n + 1] = valueEnd;
    this.attrSpans[3 * n + 2] = flags;
    this.attrCount = n + 1;
    return valueEnd + 1;
  }

  private nameAt(start: number, end: number): XmlName {
    return this.names.lookup(this.data, start, end) ?? this.failAt(this.base + start, `"${this.data.toString('utf8', start, end)}" is not a well-formed qualified name`);
  }

  private attributeValue(k: number): string {
    const start = this.attrSpans[3 * k] as number;
    const end = this.attrSpans[3 * k + 1] as number;
    const flags = this.attrSpans[3 * k + 2] as number;
    const raw = this.data.toString(flags & VALUE_NON_ASCII ? 'utf8' : 'latin1', start, end);
    return flags & VALUE_NEEDS_NORMALIZING ? normalizeAttributeValue(raw) : raw;
  }

  /** Namespace bookkeeping, root checks and the events for a complete start tag. */
  private handleStart(name: XmlName, selfClosing: boolean): void {
    if (this.stack.length === 0) {
      if (this.rootSeen) this.failAt(this.tokenStart, `a second root element <${name.qname}>`);
      this.rootSeen = true;
    }
    let declared: string[] | undefined;
    for (let k = 0; k < this.attrCount; k += 1) {
      const attr = this.attrNames[k] as XmlName;
      if (attr.namespacePrefix === undefined) continue;
      const uri = this.attributeValue(k);
      if (attr.namespacePrefix !== '' && uri === '') this.failAt(this.tokenStart, `${attr.qname} binds its prefix to an empty namespace name`);
      if (attr.namespacePrefix === 'xml' || attr.namespacePrefix === 'xmlns') this.failAt(this.tokenStart, `${attr.qname} rebinds a reserved prefix`);
      const list = this.bindings.get(attr.namespacePrefix) ?? [];
      list.push(uri);
      this.bindings.set(attr.namespacePrefix, list);
      (declared ??= []).push(attr.namespacePrefix);
    }
    this.stack.push(name);
    this.declared.push(declared);
    for (let k = 0; k < this.attrCount; k += 1) {
      const attr = this.attrNames[k] as XmlName;
      if (attr.prefix !== '' && attr.namespacePrefix === undefined) this.resolve(attr);
    }
    this.onOpen(name, this.resolve(name));
    if (selfClosing) this.closeTop();
  }

  private resolve(name: XmlName): string {
    const uri = this.bindings.get(name.prefix)?.at(-1);
    if (uri !== undefined) return uri;
    if (name.prefix === '') return '';
    return this.failAt(this.tokenStart, `the namespace prefix of ${name.qname} is not declared`);
  }

  private closeTop(): void {
    const name = this.stack.pop() as XmlName;
    for (const prefix of this.declared.pop() ?? []) this.bindings.get(prefix)?.pop();
    this.onClose(name);
  }

  /** Parses the end tag at `i`; returns the index after it, or -1 when it is incomplete. */
  private endTag(i: number): number {
    const data = this.data;
    const len = data.length;
    const nameEnd = this.names.scanName(data, i + 2);
    if (nameEnd >= len) return -1;
    if (nameEnd === i + 2) this.failAt(this.base + i + 2, 'an end tag without a name');
    let j = nameEnd;
    while (j < len && isSpace(data[j] as number)) j += 1;
    if (j >= len) return -1;
    if (data[j] !== GT) this.failAt(this.base + j, 'an unexpected character in an end tag');
    const name = this.nameAt(i + 2, nameEnd);
    const open = this.stack.at(-1);
    if (open === undefined) this.failAt(this.base + i + 2, `the end tag </${name.qname}> closes nothing`);
    if (open !== name && open.qname !== name.qname) this.failAt(this.base + i + 2, `the end tag </${name.qname}> does not match <${open.qname}>`);
    this.closeTop();
    return j + 1;
  }
}
