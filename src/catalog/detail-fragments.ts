/**
 * What patchdisc takes from the detail fragments of wsusscn2.cab (FORMAT-NOTES §1, §4):
 * `x/<rev>` ExtendedProperties (KBArticleID, MsrcSeverity, Files/File with AdditionalDigest SHA256)
 * and `l/<lang>/<rev>` LocalizedProperties (Title).
 */
import { PatchdiscError } from '../errors.ts';
import { SHA1_BYTES, SHA256_BYTES, digestHexFromBase64 } from './file-location.ts';
import { findElement, findElements, parseXmlFragment } from './xml-fragment.ts';

export interface FragmentFile {
  fileName?: string;
  size?: number;
  /** SHA-1 hex from File@Digest when DigestAlgorithm is SHA1. */
  sha1?: string;
  /** SHA-256 hex from AdditionalDigest Algorithm="SHA256". */
  sha256?: string;
}

export interface ExtendedProperties {
  kb?: string;
  severity?: string;
  files: FragmentFile[];
}

/** Parses an `x/<rev>` fragment. `warn` receives odd-but-harmless values. */
export function parseExtendedFragment(text: string, label: string, warn: (w: string) => void): ExtendedProperties {
  const root = parseXmlFragment(text, label);
  const result: ExtendedProperties = { files: [] };
  const props = findElement(root, 'ExtendedProperties');
  const severity = props?.attrs['MsrcSeverity']?.trim();
  if (severity) result.severity = severity;
  const kbText = props ? findElement(props, 'KBArticleID')?.text.trim() : undefined;
  if (kbText) {
    const kb = kbText.replace(/^KB/i, '');
    if (/^\d{1,10}$/.test(kb)) result.kb = kb;
    else warn(`Ignored KBArticleID "${kbText}" in ${label}: not a number`);
  }
  const files = findElements(root, 'Files').flatMap((list) => list.children.filter((c) => c.name === 'File'));
  for (const file of files) {
    const entry: FragmentFile = {};
    const name = file.attrs['FileName'];
    if (name) entry.fileName = name;
    const size = file.attrs['Size'];
    if (size !== undefined) {
      if (/^\d{1,15}$/.test(size)) entry.size = Number(size);
      else warn(`Ignored Size="${size}" of ${name ?? 'a file'} in ${label}: not a byte count`);
    }
    const digest = file.attrs['Digest'];
    const algorithm = file.attrs['DigestAlgorithm'] ?? 'SHA1';
    if (digest !== undefined && algorithm.toUpperCase() === 'SHA1') {
      entry.sha1 = digestHexFromBase64(digest, SHA1_BYTES, `File Digest in ${label}`);
    }
    for (const extra of file.children) {
      if (extra.name !== 'AdditionalDigest') continue;
      if ((extra.attrs['Algorithm'] ?? '').toUpperCase() !== 'SHA256') continue;
      const hex = digestHexFromBase64(extra.text, SHA256_BYTES, `AdditionalDigest SHA256 in ${label}`);
      if (entry.sha256 !== undefined && entry.sha256 !== hex) {
        throw new PatchdiscError('CATALOG_INVALID', `Cannot read ${label}: ${name ?? 'a file'} has two different SHA-256 digests; the catalog is inconsistent, download it again`, {
          details: { label },
        });
      }
      entry.sha256 = hex;
    }
    result.files.push(entry);
  }
  return result;
}

/** Parses an `l/<lang>/<rev>` fragment: its Title, trimmed, if any. */
export function parseLocalizedTitle(text: string, label: string): string | undefined {
  const root = parseXmlFragment(text, label);
  const title = findElement(root, 'Title')?.text.replace(/\s+/g, ' ').trim();
  return title === '' ? undefined : title;
}
