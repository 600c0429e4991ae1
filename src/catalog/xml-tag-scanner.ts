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
import { checkCharacterData, isXmlSpace } from './xml-references.ts';
import { XmlAttributes } from './xml-attributes.ts';
import { NameTable, type XmlName } from './xml-name-table.ts';
import { parseMarkup, type MarkupContext } from './xml-markup.ts';
import { NamespaceScopes } from './xml-namespace-scopes.ts';

export type { XmlName } from './xml-name-table.ts';

/** Longest tag, comment, processing instruction or text run accepted (package.xml's are < 1 KiB). */
export const MAX_TOKEN_BYTES = 1 << 20;

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const LF = 0x0a;
const BANG = 0x21;
const QUESTION = 0x3f;
/** UTF-8 byte order mark, allowed once at the very start. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface XmlTagScannerOptions {
  /** Names the consumer switches on (element and attribute local names); see XmlName.known. */
  knownNames: readonly string[];
  /** Names the document in messages (`package.cab/package.xml`). */
  label: string;
  /** A start tag, after its attributes were checked; read them with `attribute()` or `attributes`. */
  onOpen: (name: XmlName, uri: string) => void;
  /** An end tag (also right after onOpen for `<empty/>`). */
  onClose: (name: XmlName) => void;
}

export class XmlTagScanner implements MarkupContext {
  readonly label: string;
  private readonly names: NameTable;
  private readonly onOpen: XmlTagScannerOptions['onOpen'];
  private readonly onClose: XmlTagScannerOptions['onClose'];
  private readonly utf8 = new Utf8Validator();
  /** Reused for the unconsumed tail of the previous chunk and the next chunk: no allocation per chunk. */
  private work: Buffer = Buffer.alloc(0);
  /** Length of that unconsumed tail at the start of `work`. */
  private carried = 0;
  /** The bytes being scanned and the absolute offset of their first byte. */
  private data: Buffer = Buffer.alloc(0);
  private base = 0;
  /** Line ends before `base`, and absolute offset just after the last of them. */
  private linesBefore = 0;
  private lineStartBefore = 0;
  private readonly stack: XmlName[] = [];
  private readonly namespaces = new NamespaceScopes();
  rootSeen = false;
  /** Offset where the XML declaration may stand: 0, or 3 after a byte order mark. */
  documentStart = 0;
  /** The attributes of the start tag being reported (valid only until onOpen returns). */
  readonly attributes: XmlAttributes;
  private readonly failAtToken = (reason: string): never => this.failAt(this.tokenStart, reason);
  /** Absolute offset of the token being handled. */
  private tokenStart = 0;

  constructor(options: XmlTagScannerOptions) {
    this.label = options.label;
    this.names = new NameTable(options.knownNames);
    this.attributes = new XmlAttributes(this.names, (at, reason) => this.failAt(this.base + at, reason));
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
    const length = this.carried + chunk.length;
    if (length > this.work.length) {
      const bigger = Buffer.allocUnsafe(Math.max(length, 2 * this.work.length));
      this.work.copy(bigger, 0, 0, this.carried);
      this.work = bigger;
    }
    this.work.set(chunk, this.carried);
    this.data = this.work.subarray(0, length);
    const consumed = this.scan();
    this.advance(consumed);
    this.work.copyWithin(0, consumed, length);
    this.carried = length - consumed;
    if (this.carried > MAX_TOKEN_BYTES) this.failAt(this.base, `a tag, comment or text run longer than ${MAX_TOKEN_BYTES} bytes`);
  }

  /** Ends the document: throws unless it was complete and well-formed. */
  end(): void {
    const end = this.base + this.carried;
    if (this.utf8.end() >= 0) this.failAt(this.utf8.end(), 'a UTF-8 sequence cut off by the end of the file');
    if (this.carried > 0) {
      this.data = this.work.subarray(0, this.carried);
      if (this.data.includes(LT)) this.failAt(end, 'unexpected end of file inside a tag');
      this.text(0, this.carried);
    }
    const open = this.stack.at(-1);
    if (open !== undefined) this.failAt(end, `unexpected end of file: <${open.qname}> is not closed`);
    if (!this.rootSeen) this.failAt(end, 'the document has no root element');
  }

  /** The value of the current start tag's attribute whose unprefixed name is knownNames[known]. */
  attribute(known: number): string | undefined {
    return this.attributes.attribute(known);
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
        if (isXmlSpace(data[i] as number)) continue;
        if (this.base + i === 0 && end - i >= BOM.length && data.compare(BOM, 0, BOM.length, i, i + BOM.length) === 0) {
          this.documentStart = BOM.length;
          i += BOM.length - 1;
          continue;
        }
        this.failAt(this.base + i, this.rootSeen ? 'text after the root element' : 'text before the root element');
      }
      return;
    }
    const bad = checkCharacterData(data, start, end);
    if (bad !== undefined) this.failAt(this.base + bad.at, bad.reason);
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
    this.attributes.reset(data);
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
      if (!isXmlSpace(b as number)) this.failAt(this.base + j, `an unexpected character in <${name.qname}> (attributes need white space between them)`);
      while (j < len && isXmlSpace(data[j] as number)) j += 1;
      if (j >= len) return -1;
      if (data[j] === GT || data[j] === SLASH) continue;
      j = this.attributes.scanAttribute(name, j);
      if (j < 0 || j >= len) return -1;
    }
    this.handleStart(name, selfClosing);
    return j;
  }

  private nameAt(start: number, end: number): XmlName {
    return this.names.lookup(this.data, start, end) ?? this.failAt(this.base + start, `"${this.data.toString('utf8', start, end)}" is not a well-formed qualified name`);
  }

  /** Namespace bookkeeping, root checks and the events for a complete start tag. */
  private handleStart(name: XmlName, selfClosing: boolean): void {
    if (this.stack.length === 0) {
      if (this.rootSeen) this.failAt(this.tokenStart, `a second root element <${name.qname}>`);
      this.rootSeen = true;
    }
    const attrs = this.attributes;
    this.namespaces.open(attrs, this.failAtToken);
    this.stack.push(name);
    for (let k = 0; k < attrs.count; k += 1) {
      const attr = attrs.name(k);
      if (attr.prefix !== '' && attr.namespacePrefix === undefined) this.resolve(attr);
    }
    this.onOpen(name, this.resolve(name));
    if (selfClosing) this.closeTop();
  }

  private resolve(name: XmlName): string {
    return this.namespaces.resolve(name) ?? this.failAt(this.tokenStart, `the namespace prefix of ${name.qname} is not declared`);
  }

  private closeTop(): void {
    const name = this.stack.pop() as XmlName;
    this.namespaces.close();
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
    while (j < len && isXmlSpace(data[j] as number)) j += 1;
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
