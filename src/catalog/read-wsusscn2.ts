/**
 * Reads Microsoft's offline scan catalog wsusscn2.cab into a CatalogSnapshot:
 * outer cabinet → index.xml → package.cab → package.xml (streamed) → detail cabinets (each opened
 * once) → snapshot. Layout: catalog-formats §1 and FORMAT-NOTES.
 */
import { PatchdiscError } from '../errors.ts';
import { openCabinet, type Cabinet } from '../cab/open-cabinet.ts';
import { buildSnapshot, snapshotFragmentRequests } from './build-snapshot.ts';
import { parseIndexXml, readDetailFragments } from './detail-cabinets.ts';
import type { PackageXml } from './package-xml.ts';
import { parsePackageXml } from './parse-package-xml.ts';
import type { CatalogSnapshot } from './snapshot.ts';
import { decodeXmlBytes } from './xml-fragment.ts';

export interface ReadWsusscn2Options {
  signal?: AbortSignal;
  /** Language of titles (`l/<language>/`); falls back to `en`. Default `en`. */
  language?: string;
  onWarning?: (warning: string) => void;
}

const INDEX_MEMBER = 'index.xml';
const PACKAGE_CAB = 'package.cab';
const PACKAGE_XML = 'package.xml';

/** Reads the wsusscn2.cab at `path`. Throws CAB_*, XML_INVALID or CATALOG_INVALID errors. */
export async function readWsusscn2(path: string, options: ReadWsusscn2Options = {}): Promise<CatalogSnapshot> {
  const language = (options.language ?? 'en').toLowerCase();
  if (!/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/.test(language)) {
    throw new PatchdiscError('USAGE', `Cannot read ${path}: language "${language}" is not a language tag such as en or zh-cn`);
  }
  const warn = options.onWarning ?? (() => {});
  const outer = await openCabinet(path, { label: 'wsusscn2.cab' });
  try {
    const indexName = requireMember(outer, INDEX_MEMBER);
    const cabs = parseIndexXml(decodeXmlBytes(await outer.readMember(indexName), INDEX_MEMBER));
    const pkg = await readPackageXml(outer, options.signal, warn);
    const fragments = await readDetailFragments(outer, cabs, snapshotFragmentRequests(pkg, language), options.signal ? { signal: options.signal } : {});
    return buildSnapshot(pkg, fragments, { language, onWarning: warn });
  } finally {
    await outer.close();
  }
}

async function readPackageXml(outer: Cabinet, signal: AbortSignal | undefined, warn: (w: string) => void): Promise<PackageXml> {
  // package.cab is a cabinet inside the cabinet; the CAB reader needs it whole, package.xml inside
  // it is streamed.
  const packageCab = requireMember(outer, PACKAGE_CAB);
  const inner = await openCabinet(await outer.readMember(packageCab), { label: `${outer.label}/${PACKAGE_CAB}` });
  try {
    const stream = inner.openMember(requireMember(inner, PACKAGE_XML), signal ? { signal } : {});
    return await parsePackageXml(stream, { label: `${PACKAGE_CAB}/${PACKAGE_XML}`, onWarning: warn, ...(signal ? { signal } : {}) });
  } finally {
    await inner.close();
  }
}

/** The member's name as stored (cabinet names are case-insensitive in practice). */
function requireMember(cab: Cabinet, name: string): string {
  const member = cab.members.find((m) => m.name.toLowerCase() === name);
  if (!member) {
    throw new PatchdiscError('CATALOG_INVALID', `Cannot read ${cab.label}: it has no ${name}; this is not a wsusscn2 catalog, download it again`, {
      details: { label: cab.label, member: name },
    });
  }
  return member.name;
}
