/**
 * index.xml and the detail cabinets package2.cab … packageN.cab of wsusscn2.cab. The cabinet holding
 * the fragments of revision R is the last one whose RANGESTART ≤ R (catalog-formats §1, FORMAT-NOTES §1).
 * Each cabinet is opened once and every fragment wanted from it is read in that one pass.
 */
import { PatchdiscError } from '../errors.ts';
import { openCabinet, type Cabinet } from '../cab/open-cabinet.ts';
import { decodeXmlBytes, findElements, parseXmlFragment } from './xml-fragment.ts';

export interface DetailCabinet {
  name: string;
  rangeStart: number;
}

/** Reads index.xml: the detail cabinets in ascending RANGESTART order (package.cab has none). */
export function parseIndexXml(text: string, label = 'index.xml'): DetailCabinet[] {
  const root = parseXmlFragment(text, label);
  const cabs: DetailCabinet[] = [];
  for (const cab of findElements(root, 'CAB')) {
    const name = cab.attrs['NAME'];
    const start = cab.attrs['RANGESTART'];
    if (name === undefined) throw invalid(label, 'a <CAB> has no NAME');
    if (start === undefined) continue; // package.cab, the master package.xml
    if (!/^\d{1,15}$/.test(start)) throw invalid(label, `<CAB NAME="${name}"> has RANGESTART="${start}", not an integer`);
    if (!/^[A-Za-z0-9_.-]+\.cab$/i.test(name)) throw invalid(label, `<CAB NAME="${name}"> is not a plain cabinet name`);
    cabs.push({ name, rangeStart: Number(start) });
  }
  for (let i = 1; i < cabs.length; i += 1) {
    if (cabs[i]!.rangeStart <= cabs[i - 1]!.rangeStart) {
      throw invalid(label, `RANGESTART values do not rise (${cabs[i - 1]!.name} ${cabs[i - 1]!.rangeStart}, ${cabs[i]!.name} ${cabs[i]!.rangeStart})`);
    }
  }
  return cabs;
}

/** The detail cabinet for `revisionId`: the last whose RANGESTART ≤ revisionId. */
export function detailCabinetFor(cabs: readonly DetailCabinet[], revisionId: number): DetailCabinet | undefined {
  let found: DetailCabinet | undefined;
  for (const cab of cabs) {
    if (cab.rangeStart <= revisionId) found = cab;
    else break;
  }
  return found;
}

/** A fragment request: `kind` is `c`, `x` or `l/<lang>`. */
export interface FragmentRequest {
  kind: string;
  revisionId: number;
}

export function fragmentPath(request: FragmentRequest): string {
  return `${request.kind}/${request.revisionId}`;
}

/**
 * Reads the requested fragments, opening each detail cabinet once. Returns fragment text by path
 * (`x/123456`); a fragment the cabinet does not hold is simply absent from the result.
 */
export async function readDetailFragments(
  outer: Cabinet,
  cabs: readonly DetailCabinet[],
  requests: Iterable<FragmentRequest>,
  options: { signal?: AbortSignal } = {},
): Promise<Map<string, string>> {
  const byCab = new Map<string, Set<string>>();
  for (const request of requests) {
    const cab = detailCabinetFor(cabs, request.revisionId);
    if (!cab) continue;
    let paths = byCab.get(cab.name);
    if (!paths) byCab.set(cab.name, (paths = new Set()));
    paths.add(fragmentPath(request));
  }
  const texts = new Map<string, string>();
  for (const [cabName, paths] of byCab) {
    if (options.signal?.aborted) throw new PatchdiscError('ABORTED', `Cannot read ${cabName}: the operation was aborted`, { cause: options.signal.reason });
    if (!outer.members.some((m) => m.name === cabName)) {
      throw invalid('index.xml', `it lists ${cabName}, which ${outer.label} does not contain`);
    }
    const inner = await openCabinet(await outer.readMember(cabName), { label: `${outer.label}/${cabName}` });
    try {
      // Cabinet member names use `\` as the folder separator (MS-CAB CFFILE szName).
      const members = new Map(inner.members.map((m) => [m.name.replaceAll('\\', '/'), m.name]));
      for (const path of paths) {
        const member = members.get(path);
        if (member === undefined) continue;
        texts.set(path, decodeXmlBytes(await inner.readMember(member), `${cabName}/${path}`));
      }
    } finally {
      await inner.close();
    }
  }
  return texts;
}

function invalid(label: string, state: string): PatchdiscError {
  return new PatchdiscError('CATALOG_INVALID', `Cannot read ${label}: ${state}; the catalog is damaged or its format changed, download it again`, {
    details: { label },
  });
}
