import { writeCabinet, type CabinetMember } from '../cab/write-cabinet.ts';
import type { CatalogModel } from './catalog-model.ts';
import { detailFragments, type Fragment } from './detail-fragments.ts';
import { indexXml, packageXml, type IndexCab } from './package-xml.ts';

/*
 * wsusscn2.cab: an outer MSZIP cabinet holding index.xml, package.cab (MSZIP, only package.xml) and
 * detail cabinets package2.cab … packageN.cab split by RevisionId ranges (RANGESTART), alternating
 * uncompressed and MSZIP so that a reader meets both.
 */

/** Revisions per detail cabinet; small so that even week 0 spans several cabinets. */
const REVISIONS_PER_DETAIL_CAB = 60;
const MIN_DETAIL_CABS = 2;

export interface ScanCabinetOptions {
  downloadBase: string;
  malformedXml?: boolean;
}

export interface ScanCabinet {
  bytes: Buffer;
  /** The detail cabinets, with the lowest revision each may hold (index.xml RANGESTART). */
  detailCabs: { name: string; rangeStart: number; revisions: number[] }[];
}

export function buildScanCabinet(model: CatalogModel, options: ScanCabinetOptions): ScanCabinet {
  const date = new Date(model.creationDate);
  const setId = parseInt(model.packageId.slice(0, 4), 16);
  const packageCab = writeCabinet(
    [{ name: 'package.xml', data: Buffer.from(packageXml(model, { downloadBase: options.downloadBase, malformed: options.malformedXml === true }), 'utf8'), date }],
    { compression: 'mszip', setId },
  );

  const fragments = detailFragments(model);
  const revisions = [...new Set(fragments.map((f) => f.revisionId))].sort((a, b) => a - b);
  const cabCount = Math.max(MIN_DETAIL_CABS, Math.ceil(revisions.length / REVISIONS_PER_DETAIL_CAB));
  const perCab = Math.ceil(revisions.length / cabCount);
  const detailCabs: ScanCabinet['detailCabs'] = [];
  const members: CabinetMember[] = [];
  const index: IndexCab[] = [{ name: 'package.cab' }];
  for (let i = 0; i < cabCount; i++) {
    const revs = revisions.slice(i * perCab, (i + 1) * perCab);
    if (revs.length === 0) break;
    const name = `package${i + 2}.cab`;
    // The first detail cabinet starts at 0, as in the real index.xml; the others at their lowest revision.
    const rangeStart = i === 0 ? 0 : (revs[0] ?? 0);
    const wanted = new Set(revs);
    const cabMembers = fragments.filter((f: Fragment) => wanted.has(f.revisionId)).map((f) => ({ name: f.name, data: Buffer.from(f.text, 'utf8'), date }));
    const bytes = writeCabinet(cabMembers, { compression: i % 2 === 0 ? 'none' : 'mszip', setId });
    members.push({ name, data: bytes, date });
    detailCabs.push({ name, rangeStart, revisions: revs });
    index.push({ name, rangeStart });
  }
  const outer = writeCabinet(
    [{ name: 'index.xml', data: Buffer.from(indexXml(index), 'utf8'), date }, { name: 'package.cab', data: packageCab, date }, ...members],
    { compression: 'mszip', setId },
  );
  return { bytes: outer, detailCabs };
}
