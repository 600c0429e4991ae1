/**
 * Streams wsusscn2's package.xml (about 105 MB in a real catalog) through a byte-level tag scanner
 * (xml-tag-scanner.ts) and keeps only the compact records the snapshot needs. Element inventory:
 * FORMAT-NOTES §2. The real file declares the OfflineSync namespace; the vuls sample declares none;
 * both are accepted.
 *
 * Memory: the model for a real catalog (about 160 000 updates and as many file locations) is the
 * bulk of what stays; repeated strings (category GUIDs and types, languages) are shared, number
 * lists are stored at their exact length, and empty, repeated language and sibling BundledBy lists
 * are shared frozen arrays.
 */
import type { Readable } from 'node:stream';
import { PatchdiscError } from '../errors.ts';
import { checkFileLocation, sha1FromFileId } from './file-location.ts';
import { compactLocation, sha1HexFromBase64Bytes } from './compact-location.ts';
import { SharedStrings } from './xml-name-table.ts';
import type { XmlAttributes } from './xml-attributes.ts';
import { CHILDREN, DOCUMENT, ELEMENTS, K, KNOWN_NAMES, type Known } from './package-xml-grammar.ts';
import { OFFLINE_SYNC_NS, type PackageCategory, type PackageUpdate, type PackageXml } from './package-xml.ts';
import { XmlTagScanner, type XmlName } from './xml-tag-scanner.ts';

const EMPTY: readonly never[] = Object.freeze([]);

/** An IsBundle that is true: `1`, or `true` in any letter case. */
function isTrue(value: string): boolean {
  return value === 'true' || value === '1' || (value.length === 4 && value.toLowerCase() === 'true');
}

export interface ParsePackageOptions {
  label?: string;
  signal?: AbortSignal;
  onWarning?: (warning: string) => void;
}

/** Parses a package.xml byte stream. Throws XML_INVALID (with byte offset) or CATALOG_INVALID. */
export async function parsePackageXml(stream: Readable, options: ParsePackageOptions = {}): Promise<PackageXml> {
  const label = options.label ?? 'package.xml';
  const warn = options.onWarning ?? (() => {});
  const reader = new PackageXmlReader(label, warn);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      if (options.signal?.aborted) throw new PatchdiscError('ABORTED', `Cannot finish reading ${label}: the operation was aborted`, { cause: options.signal.reason });
      reader.scanner.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    }
    reader.scanner.end();
  } catch (err) {
    stream.destroy();
    throw err;
  }
  return reader.finish();
}

/** The package.xml model built from scanner events. */
class PackageXmlReader {
  readonly scanner: XmlTagScanner;
  private readonly attrs: XmlAttributes;
  private readonly result: PackageXml = { packageId: '', creationDate: '', updates: new Map(), locations: new Map(), rejectedLocations: new Map() };
  private readonly unknownSeen = new Map<string, number>();
  /** Open elements, and the known index of each (-1 inside an unknown element). */
  private readonly path: XmlName[] = [];
  private readonly kinds: number[] = [];
  private skipDepth = 0;
  private lastUri = '';
  private lastUriOurs = true;
  private sawRoot = false;
  private current: PackageUpdate | undefined;
  // The lists of the current update, copied at their exact length when it ends.
  private readonly categories: PackageCategory[] = [];
  private readonly supersededBy: number[] = [];
  private readonly bundledBy: number[] = [];
  private readonly payloadSha1s: string[] = [];
  private readonly languages: string[] = [];
  private readonly lists: unknown[][] = [this.categories, this.supersededBy, this.bundledBy, this.payloadSha1s, this.languages];
  // Shared strings and records.
  /** Category records by type, then by GUID as written (both strings shared, see category()). */
  private readonly categoryByType = new Map<string, Map<string, PackageCategory>>();
  private readonly languageByName = new Map<string, string>();
  private readonly strings = new Map<string, string>();
  private readonly languageLists = new Map<string, readonly string[]>();
  private lastBundledBy: readonly number[] = EMPTY;
  private readonly urlBases = new SharedStrings();

  constructor(
    private readonly label: string,
    private readonly warn: (warning: string) => void,
  ) {
    this.scanner = new XmlTagScanner({ knownNames: KNOWN_NAMES, label, onOpen: (name, uri) => this.open(name, uri), onClose: () => this.close() });
    this.attrs = this.scanner.attributes;
  }

  finish(): PackageXml {
    if (!this.sawRoot) this.fail('it has no <OfflineSyncPackage> root element');
    for (const [key, count] of this.unknownSeen) this.warn(`Ignored unknown element ${key} in ${this.label} (${count}×)`);
    return this.result;
  }

  private fail(message: string, details: Record<string, unknown> = {}): never {
    throw new PatchdiscError('CATALOG_INVALID', `Cannot read ${this.label}: ${message}; the catalog is damaged or its format changed, download it again`, {
      details: { label: this.label, line: this.scanner.line, byteOffset: this.scanner.byteOffset, ...details },
    });
  }

  private required(element: XmlName, attribute: Known): string {
    return this.attrs.attribute(K[attribute]) ?? this.fail(`<${element.local}> has no ${attribute} attribute`);
  }

  /** A required attribute whose values repeat across the file. */
  private shared(element: XmlName, attribute: Known): string {
    return this.attrs.sharedAttribute(K[attribute]) ?? this.fail(`<${element.local}> has no ${attribute} attribute`);
  }

  private integer(element: XmlName, attribute: Known): number {
    const value = this.attrs.decimalAttribute(K[attribute]);
    if (value === undefined) return this.fail(`<${element.local}> has no ${attribute} attribute`);
    return value >= 0 ? value : this.fail(`<${element.local}> ${attribute}="${this.attrs.attribute(K[attribute])}" is not a non-negative integer`);
  }

  private open(name: XmlName, uri: string): void {
    const parent = this.kinds.length === 0 ? DOCUMENT : (this.kinds[this.kinds.length - 1] as number);
    this.path.push(name);
    if (this.skipDepth > 0) {
      this.skipDepth += 1;
      this.kinds.push(-1);
      return;
    }
    const kind = name.known;
    const known = this.isOurNamespace(uri) && kind >= 0 && kind < ELEMENTS.length && ((CHILDREN[parent + 1] as number) & (1 << kind)) !== 0;
    if (!known) {
      if (parent === DOCUMENT) this.fail(`the root element is <${name.qname}> in namespace "${uri}", expected <OfflineSyncPackage>`);
      const key = `${this.path.slice(0, -1).map((n) => n.local).join('/')}/${name.qname}`;
      this.unknownSeen.set(key, (this.unknownSeen.get(key) ?? 0) + 1);
      this.skipDepth = 1;
      this.kinds.push(-1);
      return;
    }
    this.kinds.push(kind);
    switch (kind) {
      case K.OfflineSyncPackage:
        this.sawRoot = true;
        this.result.packageId = this.attrs.attribute(K.PackageId) ?? '';
        this.result.creationDate = this.attrs.attribute(K.CreationDate) ?? '';
        break;
      case K.Update:
        this.openUpdate(name);
        break;
      case K.Category:
        if (this.current) this.categories.push(this.category(this.shared(name, 'Type'), this.shared(name, 'Id')));
        break;
      case K.Revision:
        if (this.current) (parent === K.SupersededBy ? this.supersededBy : this.bundledBy).push(this.integer(name, 'Id'));
        break;
      case K.File:
        if (this.current && parent === K.PayloadFiles) this.payloadSha1s.push(this.sha1(name));
        break;
      case K.Language:
        if (this.current && parent === K.Languages) this.languages.push(this.language(this.shared(name, 'Name')));
        break;
      case K.FileLocation:
        this.fileLocation(name);
        break;
      default:
        break;
    }
  }

  /** True for no namespace or OFFLINE_SYNC_NS; remembers the last URI, which is nearly always the same string. */
  private isOurNamespace(uri: string): boolean {
    if (uri === this.lastUri) return this.lastUriOurs;
    this.lastUri = uri;
    this.lastUriOurs = uri === '' || uri === OFFLINE_SYNC_NS;
    return this.lastUriOurs;
  }

  private close(): void {
    this.path.pop();
    const kind = this.kinds.pop();
    if (this.skipDepth > 0) {
      this.skipDepth -= 1;
      return;
    }
    if (kind === K.Update && this.current) {
      const update = this.current;
      update.categories = this.categories.length === 0 ? EMPTY : this.categories.slice();
      update.supersededBy = this.supersededBy.length === 0 ? EMPTY : this.supersededBy.slice();
      update.bundledBy = this.bundledBy.length === 0 ? EMPTY : this.siblingBundledBy();
      update.payloadSha1s = this.payloadSha1s.length === 0 ? EMPTY : this.payloadSha1s.slice();
      update.languages = this.languages.length === 0 ? EMPTY : this.languageList();
      this.current = undefined;
    }
  }

  /** The children of one bundle follow each other and name the same bundle: they share one list. */
  private siblingBundledBy(): readonly number[] {
    const last = this.lastBundledBy;
    const list = this.bundledBy;
    let same = last.length === list.length;
    for (let i = 0; same && i < list.length; i += 1) same = last[i] === list[i];
    if (same) return last;
    this.lastBundledBy = Object.freeze(this.bundledBy.slice());
    return this.lastBundledBy;
  }

  /** Language lists repeat across updates: one shared list per content. */
  private languageList(): readonly string[] {
    const key = this.languages.join('\n');
    const known = this.languageLists.get(key);
    if (known !== undefined) return known;
    const list = Object.freeze(this.languages.slice());
    this.languageLists.set(key, list);
    return list;
  }

  private openUpdate(name: XmlName): void {
    const revisionId = this.integer(name, 'RevisionId');
    const isBundle = this.attrs.sharedAttribute(K.IsBundle);
    this.current = {
      updateId: this.required(name, 'UpdateId').toLowerCase(),
      revisionId,
      revisionNumber: this.attrs.find(K.RevisionNumber) < 0 ? 0 : this.integer(name, 'RevisionNumber'),
      creationDate: this.attrs.attribute(K.CreationDate) ?? '',
      isBundle: isBundle !== undefined && isTrue(isBundle),
      categories: EMPTY,
      supersededBy: EMPTY,
      bundledBy: EMPTY,
      payloadSha1s: EMPTY,
      languages: EMPTY,
    };
    for (const list of this.lists) if (list.length !== 0) list.length = 0;
    const count = this.result.updates.size;
    // One lookup instead of has() and set(): a repeated id leaves the size unchanged.
    this.result.updates.set(revisionId, this.current);
    if (this.result.updates.size === count) this.fail(`RevisionId ${revisionId} appears twice`, { revisionId });
  }

  /**
   * One shared record per (type, GUID as written). Both come from sharedAttribute(), so a pair seen
   * before is found without allocating.
   */
  private category(type: string, rawId: string): PackageCategory {
    let byId = this.categoryByType.get(type);
    if (byId === undefined) {
      byId = new Map();
      this.categoryByType.set(this.intern(type), byId);
    }
    const known = byId.get(rawId);
    if (known !== undefined) return known;
    const made = Object.freeze({ type: this.intern(type), id: rawId.toLowerCase() });
    byId.set(rawId, made);
    return made;
  }

  private language(raw: string): string {
    const known = this.languageByName.get(raw);
    if (known !== undefined) return known;
    const name = this.intern(raw.toLowerCase());
    this.languageByName.set(raw, name);
    return name;
  }

  private intern(text: string): string {
    const known = this.strings.get(text);
    if (known !== undefined) return known;
    this.strings.set(text, text);
    return text;
  }

  /** SHA-1 hex of a File or FileLocation Id, read from its bytes when it is plain base64. */
  private sha1(element: XmlName): string {
    const attrs = this.attrs;
    const fast = attrs.selectRaw(K.Id) ? sha1HexFromBase64Bytes(attrs.data, attrs.rawStart, attrs.rawEnd) : undefined;
    return fast ?? sha1FromFileId(this.required(element, 'Id'));
  }

  private fileLocation(element: XmlName): void {
    const attrs = this.attrs;
    const sha1 = this.sha1(element);
    // After sha1(): selectRaw() moves the one selected span.
    if (attrs.selectRaw(K.Url)) {
      const location = compactLocation(sha1, attrs.data, attrs.rawStart, attrs.rawEnd, this.urlBases);
      if (location !== undefined) {
        this.result.locations.set(sha1, location);
        return;
      }
    }
    const checked = checkFileLocation(this.required(element, 'Id'), this.required(element, 'Url'));
    if ('rejected' in checked) {
      this.result.rejectedLocations.set(checked.sha1, checked.rejected);
      this.warn(`Dropped FileLocation ${checked.sha1}: ${checked.rejected}`);
    } else {
      this.result.locations.set(checked.sha1, checked);
    }
  }
}
