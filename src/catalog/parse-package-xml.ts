/**
 * Streams wsusscn2's package.xml (about 105 MB in a real catalog) through saxes and keeps only the
 * compact records the snapshot needs. Element inventory: FORMAT-NOTES §2. The real file declares the
 * OfflineSync namespace; the vuls sample declares none; both are accepted.
 */
import type { Readable } from 'node:stream';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { PatchdiscError } from '../errors.ts';
import { checkFileLocation, sha1FromFileId, type CheckedLocation } from './file-location.ts';

export const OFFLINE_SYNC_NS = 'http://schemas.microsoft.com/msus/2004/02/OfflineSync';

export interface PackageUpdate {
  updateId: string;
  revisionId: number;
  revisionNumber: number;
  creationDate: string;
  isBundle: boolean;
  categories: { type: string; id: string }[];
  supersededBy: number[];
  bundledBy: number[];
  /** SHA-1 hex of PayloadFiles/File@Id. */
  payloadSha1s: string[];
  languages: string[];
}

export interface PackageXml {
  packageId: string;
  creationDate: string;
  updates: Map<number, PackageUpdate>;
  /** Usable locations by SHA-1 hex. */
  locations: Map<string, CheckedLocation>;
  /** Locations dropped for an unusable file name, by SHA-1 hex, with the reason. */
  rejectedLocations: Map<string, string>;
}

/** Allowed child elements per parent (local names); `''` is the document level. */
const KNOWN_CHILDREN: Record<string, readonly string[]> = {
  '': ['OfflineSyncPackage'],
  OfflineSyncPackage: ['Updates', 'FileLocations'],
  Updates: ['Update'],
  Update: ['Categories', 'SupersededBy', 'BundledBy', 'PayloadFiles', 'Prerequisites', 'Languages', 'EulaFiles'],
  Categories: ['Category'],
  SupersededBy: ['Revision'],
  BundledBy: ['Revision'],
  PayloadFiles: ['File'],
  Prerequisites: ['UpdateId', 'Or'],
  Or: ['UpdateId'],
  Languages: ['Language'],
  EulaFiles: ['File'],
  File: ['Language'],
  FileLocations: ['FileLocation'],
};

export interface ParsePackageOptions {
  label?: string;
  signal?: AbortSignal;
  onWarning?: (warning: string) => void;
}

/** Parses a package.xml byte stream. Throws XML_INVALID (with byte offset) or CATALOG_INVALID. */
export async function parsePackageXml(stream: Readable, options: ParsePackageOptions = {}): Promise<PackageXml> {
  const label = options.label ?? 'package.xml';
  const warn = options.onWarning ?? (() => {});
  const result: PackageXml = { packageId: '', creationDate: '', updates: new Map(), locations: new Map(), rejectedLocations: new Map() };
  const unknownSeen = new Map<string, number>();
  const path: string[] = [];
  let skipDepth = 0; // > 0 while inside an unknown element
  let current: PackageUpdate | undefined;
  let sawRoot = false;

  const parser = new SaxesParser({ xmlns: true, position: true });
  const fail = (message: string, details: Record<string, unknown> = {}): never => {
    throw new PatchdiscError('CATALOG_INVALID', `Cannot read ${label}: ${message}; the catalog is damaged or its format changed, download it again`, {
      details: { label, line: parser.line, ...details },
    });
  };
  const attr = (tag: SaxesTagNS, name: string): string | undefined => tag.attributes[name]?.value;
  const required = (tag: SaxesTagNS, name: string): string => attr(tag, name) ?? fail(`<${tag.local}> has no ${name} attribute`);
  const integer = (tag: SaxesTagNS, name: string): number => {
    const text = required(tag, name);
    if (!/^\d{1,15}$/.test(text)) fail(`<${tag.local}> ${name}="${text}" is not a non-negative integer`);
    return Number(text);
  };

  parser.on('doctype', () => {
    throw new PatchdiscError('XML_INVALID', `Cannot parse ${label}: it declares a DOCTYPE, which package.xml never uses; refusing to expand entities`, {
      details: { label },
    });
  });
  parser.on('opentag', (tag) => {
    const parent = path.at(-1) ?? '';
    path.push(tag.local);
    if (skipDepth > 0) {
      skipDepth += 1;
      return;
    }
    const known = (tag.uri === '' || tag.uri === OFFLINE_SYNC_NS) && (KNOWN_CHILDREN[parent]?.includes(tag.local) ?? false);
    if (!known) {
      if (parent === '') fail(`the root element is <${tag.name}> in namespace "${tag.uri}", expected <OfflineSyncPackage>`);
      const key = `${path.slice(0, -1).join('/')}/${tag.name}`;
      unknownSeen.set(key, (unknownSeen.get(key) ?? 0) + 1);
      skipDepth = 1;
      return;
    }
    switch (tag.local) {
      case 'OfflineSyncPackage':
        sawRoot = true;
        result.packageId = attr(tag, 'PackageId') ?? '';
        result.creationDate = attr(tag, 'CreationDate') ?? '';
        break;
      case 'Update': {
        const revisionId = integer(tag, 'RevisionId');
        if (result.updates.has(revisionId)) fail(`RevisionId ${revisionId} appears twice`, { revisionId });
        current = {
          updateId: required(tag, 'UpdateId').toLowerCase(),
          revisionId,
          revisionNumber: attr(tag, 'RevisionNumber') === undefined ? 0 : integer(tag, 'RevisionNumber'),
          creationDate: attr(tag, 'CreationDate') ?? '',
          isBundle: /^(true|1)$/i.test(attr(tag, 'IsBundle') ?? ''),
          categories: [],
          supersededBy: [],
          bundledBy: [],
          payloadSha1s: [],
          languages: [],
        };
        result.updates.set(revisionId, current);
        break;
      }
      case 'Category':
        current?.categories.push({ type: required(tag, 'Type'), id: required(tag, 'Id').toLowerCase() });
        break;
      case 'Revision':
        if (parent === 'SupersededBy') current?.supersededBy.push(integer(tag, 'Id'));
        else current?.bundledBy.push(integer(tag, 'Id'));
        break;
      case 'File':
        if (parent === 'PayloadFiles') current?.payloadSha1s.push(sha1FromFileId(required(tag, 'Id')));
        break;
      case 'Language':
        if (parent === 'Languages') current?.languages.push(required(tag, 'Name').toLowerCase());
        break;
      case 'FileLocation': {
        const checked = checkFileLocation(required(tag, 'Id'), required(tag, 'Url'));
        if ('rejected' in checked) {
          result.rejectedLocations.set(checked.sha1, checked.rejected);
          warn(`Dropped FileLocation ${checked.sha1}: ${checked.rejected}`);
        } else {
          result.locations.set(checked.sha1, checked);
        }
        break;
      }
      default:
        break;
    }
  });
  parser.on('closetag', (tag) => {
    path.pop();
    if (skipDepth > 0) {
      skipDepth -= 1;
      return;
    }
    if (tag.local === 'Update') current = undefined;
  });

  await feed(parser, stream, label, options.signal);
  if (!sawRoot) fail('it has no <OfflineSyncPackage> root element');
  for (const [key, count] of unknownSeen) warn(`Ignored unknown element ${key} in ${label} (${count}×)`);
  return result;
}

/** Feeds the stream into saxes, tracking byte offsets so that errors can point into the file. */
async function feed(parser: SaxesParser<{ xmlns: true; position: true }>, stream: Readable, label: string, signal?: AbortSignal): Promise<void> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytesBefore = 0;
  let charsBefore = 0;
  let text = '';
  const xmlError = (cause: unknown): PatchdiscError => {
    if (cause instanceof PatchdiscError) return cause;
    // saxes counts characters; convert the position inside the current chunk back to bytes.
    const inChunk = Math.max(0, Math.min(text.length, parser.position - charsBefore));
    const byteOffset = bytesBefore + Buffer.byteLength(text.slice(0, inChunk));
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new PatchdiscError('XML_INVALID', `Cannot parse ${label}: ${reason} at byte ${byteOffset}; the file is damaged or truncated, download it again`, {
      cause,
      details: { label, byteOffset, line: parser.line, column: parser.column },
    });
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      if (signal?.aborted) throw new PatchdiscError('ABORTED', `Cannot finish reading ${label}: the operation was aborted`, { cause: signal.reason });
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      text = decoder.decode(bytes, { stream: true });
      parser.write(text);
      bytesBefore += bytes.length;
      charsBefore += text.length;
    }
    text = decoder.decode();
    parser.write(text);
    parser.close();
  } catch (cause) {
    stream.destroy();
    throw xmlError(cause);
  }
}
