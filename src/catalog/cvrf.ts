/**
 * MSRC CVRF documents (catalog-formats §3), used only to enrich updates with CVEs, severity and
 * MSRC's own supersedence. A KB is the numeric vuln:Description of a `Vendor Fix` remediation; other
 * descriptions ("Release Notes", product release names) are not KBs.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PatchdiscError } from '../errors.ts';

export interface CvrfKb {
  kb: string;
  cves: string[];
  /** Highest MSRC severity among the vulnerabilities this KB fixes, for the KB's products. */
  severity?: string;
  products: string[];
  subTypes: string[];
  supersedes: string[];
  restartRequired: boolean;
}

export interface CvrfSummary {
  document: string;
  kbs: CvrfKb[];
}

const SEVERITY_RANK: Record<string, number> = { low: 1, moderate: 2, important: 3, critical: 4 };
const ARRAYS = new Set(['Vulnerability', 'Threat', 'Remediation', 'ProductID', 'FullProductName', 'Branch', 'Supercedence', 'SubType']);
const KB_NUMBER = /^\d{4,8}$/;

type Node = Record<string, unknown>;

function list(value: unknown): Node[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'object' && v !== null ? (v as Node) : { '#text': v }));
}

/** Text of an element, with the five predefined XML entities decoded (processEntities is off). */
function text(value: unknown): string {
  const raw = typeof value === 'object' && value !== null ? (value as Node)['#text'] : value;
  if (raw === undefined || raw === null) return '';
  return String(raw)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

function collectProducts(node: unknown, names: Map<string, string>): void {
  for (const n of list(node)) {
    for (const p of list(n['FullProductName'])) {
      const id = text(p['@_ProductID']);
      if (id) names.set(id, text(p));
    }
    collectProducts(n['Branch'], names);
  }
}

/** Parses a CVRF 1.x XML document. Throws XML_INVALID for DOCTYPE or malformed XML. */
export function parseCvrf(xml: string): CvrfSummary {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    throw new PatchdiscError('XML_INVALID', 'Cannot parse the CVRF document: it declares a DOCTYPE, which MSRC documents never use; refusing to expand entities');
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new PatchdiscError('XML_INVALID', `Cannot parse the CVRF document: ${valid.err.msg} at line ${valid.err.line}; fetch it again`, {
      details: { line: valid.err.line, column: valid.err.col },
    });
  }
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    removeNSPrefix: true,
    processEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (name) => ARRAYS.has(name),
  });
  let parsed: Node;
  try {
    parsed = parser.parse(xml) as Node;
  } catch (err) {
    // The validator accepts some malformed prologs (e.g. an unquoted encoding) that the parser rejects.
    throw new PatchdiscError('XML_INVALID', `Cannot parse the CVRF document: ${(err as Error).message}; fetch it again`, { cause: err });
  }
  const root = parsed['cvrfdoc'] as Node | undefined;
  if (!root) throw new PatchdiscError('CATALOG_INVALID', 'Cannot read the CVRF document: its root is not cvrfdoc; this is not an MSRC CVRF document');
  const tracking = root['DocumentTracking'] as Node | undefined;
  const document = text((tracking?.['Identification'] as Node | undefined)?.['ID']);

  const productNames = new Map<string, string>();
  collectProducts(root['ProductTree'], productNames);

  const kbs = new Map<string, { cves: Set<string>; severity: number; products: Set<string>; subTypes: Set<string>; supersedes: Set<string>; restart: boolean }>();
  for (const vuln of list(root['Vulnerability'])) {
    const cve = text(vuln['CVE']);
    const severityByProduct = new Map<string, number>();
    for (const threat of list((vuln['Threats'] as Node | undefined)?.['Threat'])) {
      if (text(threat['@_Type']) !== 'Severity') continue;
      const rank = SEVERITY_RANK[text(threat['Description']).toLowerCase()] ?? 0;
      for (const p of list(threat['ProductID'])) {
        const id = text(p);
        severityByProduct.set(id, Math.max(rank, severityByProduct.get(id) ?? 0));
      }
    }
    for (const rem of list((vuln['Remediations'] as Node | undefined)?.['Remediation'])) {
      if (text(rem['@_Type']) !== 'Vendor Fix') continue;
      const kb = text(rem['Description']).replace(/^KB/i, '');
      if (!KB_NUMBER.test(kb)) continue;
      let entry = kbs.get(kb);
      if (!entry) kbs.set(kb, (entry = { cves: new Set(), severity: 0, products: new Set(), subTypes: new Set(), supersedes: new Set(), restart: false }));
      if (cve) entry.cves.add(cve);
      for (const p of list(rem['ProductID'])) {
        const id = text(p);
        entry.products.add(productNames.get(id) ?? id);
        entry.severity = Math.max(entry.severity, severityByProduct.get(id) ?? 0);
      }
      for (const s of list(rem['SubType'])) if (text(s)) entry.subTypes.add(text(s));
      for (const s of list(rem['Supercedence'])) for (const k of text(s).match(/\d{4,8}/g) ?? []) entry.supersedes.add(k);
      if (/^yes$/i.test(text(rem['RestartRequired']))) entry.restart = true;
    }
  }

  const names = Object.keys(SEVERITY_RANK);
  return {
    document,
    kbs: [...kbs]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([kb, e]) => {
        const out: CvrfKb = {
          kb,
          cves: [...e.cves].sort(),
          products: [...e.products].sort(),
          subTypes: [...e.subTypes].sort(),
          supersedes: [...e.supersedes].sort(),
          restartRequired: e.restart,
        };
        const severity = names.find((n) => SEVERITY_RANK[n] === e.severity);
        if (severity) out.severity = severity[0]!.toUpperCase() + severity.slice(1);
        return out;
      }),
  };
}
