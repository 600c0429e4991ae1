import { PRODUCTS, type Arch } from './catalog-categories.ts';
import type { CatalogModel, CatalogUpdate } from './catalog-model.ts';
import type { MonthLabel } from './catalog-timeline.ts';
import { escapeXml } from './package-xml.ts';

/*
 * MSRC CVRF API v3.0: the month list (JSON) and one month's document (XML), in the shape of
 * shared/fixtures/cvrf/cvrfDocument-2025-Nov.xml (same namespace declarations and element order).
 */

const NAMESPACES =
  'xmlns:vuln="http://www.icasi.org/CVRF/schema/vuln/1.1" xmlns:dc="http://purl.org/dc/elements/1.1/" ' +
  'xmlns:cvrf-common="http://www.icasi.org/CVRF/schema/common/1.1" xmlns:prod="http://www.icasi.org/CVRF/schema/prod/1.1" ' +
  'xmlns:scap-core="https://scap.nist.gov/schema/scap-core/1.0" xmlns:cvssv2="https://scap.nist.gov/schema/cvss-v2/1.0" ' +
  'xmlns:cpe-lang="http://cpe.mitre.org/language/2.0" xmlns:sch="http://purl.oclc.org/dsdl/schematron" ' +
  'xmlns:cvrf="http://www.icasi.org/CVRF/schema/cvrf/1.1"';

/** GET /cvrf/v3.0/updates: the months published by this week. */
export function cvrfUpdatesJson(model: CatalogModel, apiBase: string): string {
  const value = model.months.map((m) => ({
    ID: m.cvrfId,
    Alias: m.cvrfId,
    DocumentTitle: `${m.longName} Security Updates`,
    Severity: null,
    InitialReleaseDate: isoNoMillis(m.released),
    CurrentReleaseDate: isoNoMillis(m.released),
    CvrfUrl: `${apiBase}/cvrf/v3.0/cvrf/${m.cvrfId}`,
  }));
  return JSON.stringify({ '@odata.context': `${apiBase}/cvrf/v3.0/$metadata#updates`, value });
}

/** GET /cvrf/v3.0/cvrf/<id>, or undefined when the month is not (yet) published. */
export function cvrfDocumentXml(model: CatalogModel, id: string): string | undefined {
  const month = model.months.find((m) => m.cvrfId.toLowerCase() === id.toLowerCase());
  if (month === undefined) return undefined;
  const date = isoNoMillis(month.released).replace('Z', '');
  const lines: string[] = ['<?xml version="1.0" encoding="utf-8"?>', `<cvrf:cvrfdoc ${NAMESPACES}>`];
  lines.push(`  <cvrf:DocumentTitle>${month.longName} Security Updates</cvrf:DocumentTitle>`);
  lines.push('  <cvrf:DocumentType>Security Update</cvrf:DocumentType>');
  lines.push('  <cvrf:DocumentPublisher Type="Vendor">', '    <cvrf:ContactDetails>secure@microsoft.com</cvrf:ContactDetails>', '  </cvrf:DocumentPublisher>');
  lines.push(
    '  <cvrf:DocumentTracking>',
    `    <cvrf:Identification>`,
    `      <cvrf:ID>${month.cvrfId}</cvrf:ID>`,
    `      <cvrf:Alias>${month.cvrfId}</cvrf:Alias>`,
    '    </cvrf:Identification>',
    '    <cvrf:Status>Final</cvrf:Status>',
    '    <cvrf:Version>1.0</cvrf:Version>',
    '    <cvrf:RevisionHistory>',
    '      <cvrf:Revision>',
    '        <cvrf:Number>1</cvrf:Number>',
    `        <cvrf:Date>${date}</cvrf:Date>`,
    `        <cvrf:Description>${month.longName} Security Updates</cvrf:Description>`,
    '      </cvrf:Revision>',
    '    </cvrf:RevisionHistory>',
    `    <cvrf:InitialReleaseDate>${date}</cvrf:InitialReleaseDate>`,
    `    <cvrf:CurrentReleaseDate>${date}</cvrf:CurrentReleaseDate>`,
    '  </cvrf:DocumentTracking>',
  );
  lines.push('  <prod:ProductTree>', '    <prod:Branch Type="Vendor" Name="Microsoft">', '      <prod:Branch Type="Product Family" Name="Windows">');
  for (const p of PRODUCTS) {
    for (const arch of p.archs) {
      lines.push(`        <prod:FullProductName ProductID="${p.cvrfProductIds[arch] ?? ''}">${escapeXml(p.cvrfProductNames[arch] ?? '')}</prod:FullProductName>`);
    }
  }
  lines.push('      </prod:Branch>', '    </prod:Branch>', '  </prod:ProductTree>');
  const monthUpdates = model.updates.filter((u) => u.month.index === month.index);
  model.cves
    .filter((c) => c.monthIndex === month.index)
    .forEach((cve, ordinal) => {
      const fixes = monthUpdates.filter((u) => cve.kbs.includes(u.kb));
      const productIds = [...new Set(fixes.flatMap(cvrfIdsOf))];
      lines.push(`  <vuln:Vulnerability Ordinal="${ordinal + 1}">`);
      lines.push(`    <vuln:Title>${escapeXml(cve.title)}</vuln:Title>`);
      lines.push(`    <vuln:CVE>${cve.id}</vuln:CVE>`);
      lines.push('    <vuln:ProductStatuses>', '      <vuln:Status Type="Known Affected">');
      for (const id of productIds) lines.push(`        <vuln:ProductID>${id}</vuln:ProductID>`);
      lines.push('      </vuln:Status>', '    </vuln:ProductStatuses>', '    <vuln:Threats>');
      for (const id of productIds) {
        lines.push('      <vuln:Threat Type="Severity">', `        <vuln:Description>${cve.severity}</vuln:Description>`, `        <vuln:ProductID>${id}</vuln:ProductID>`, '      </vuln:Threat>');
      }
      lines.push('    </vuln:Threats>', '    <vuln:CVSSScoreSets>');
      for (const id of productIds) {
        lines.push('      <vuln:ScoreSet>', `        <vuln:BaseScore>${cve.baseScore}</vuln:BaseScore>`, `        <vuln:Vector>${cve.vector}</vuln:Vector>`, `        <vuln:ProductID>${id}</vuln:ProductID>`, '      </vuln:ScoreSet>');
      }
      lines.push('    </vuln:CVSSScoreSets>', '    <vuln:Remediations>');
      for (const kb of [...new Set(fixes.map((u) => u.kb))]) {
        const same = fixes.filter((u) => u.kb === kb);
        lines.push(...remediation(kb, same, model, month));
      }
      lines.push('    </vuln:Remediations>', '  </vuln:Vulnerability>');
    });
  lines.push('</cvrf:cvrfdoc>', '');
  return lines.join('\n');
}

function remediation(kb: string, updates: CatalogUpdate[], model: CatalogModel, month: MonthLabel): string[] {
  const first = updates[0];
  const previous = first === undefined ? undefined : previousKb(first, model, month);
  const product = PRODUCTS.find((p) => p.key === first?.productKey);
  const out = [
    '      <vuln:Remediation Type="Vendor Fix">',
    `        <vuln:Description>${kb}</vuln:Description>`,
    `        <vuln:URL>https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB${kb}</vuln:URL>`,
  ];
  if (previous !== undefined) out.push(`        <vuln:Supercedence>${previous}</vuln:Supercedence>`);
  for (const id of [...new Set(updates.flatMap(cvrfIdsOf))]) out.push(`        <vuln:ProductID>${id}</vuln:ProductID>`);
  out.push('        <vuln:AffectedFiles />', '        <vuln:RestartRequired>Yes</vuln:RestartRequired>', '        <vuln:SubType>Security Update</vuln:SubType>');
  if (first?.kind === 'cu' && product !== undefined) out.push(`        <vuln:FixedBuild>${product.build}.${1000 + (month.index + 2) * 37}</vuln:FixedBuild>`);
  out.push('      </vuln:Remediation>');
  return out;
}

function previousKb(u: CatalogUpdate, model: CatalogModel, month: MonthLabel): string | undefined {
  const older = model.updates.filter((o) => u.supersedes.includes(o.revisionId) && o.month.index < month.index);
  return older.sort((a, b) => b.month.index - a.month.index)[0]?.kb;
}

function cvrfIdsOf(u: CatalogUpdate): string[] {
  const product = PRODUCTS.find((p) => p.key === u.productKey);
  const id = product?.cvrfProductIds[u.arch as Arch];
  return id === undefined ? [] : [id];
}

function isoNoMillis(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
