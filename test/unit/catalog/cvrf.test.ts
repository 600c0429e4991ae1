import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCvrf } from '../../../src/catalog/cvrf.ts';
import { isPatchdiscError } from '../../../src/errors.ts';
import { FIXTURES } from '../../helpers/tools.ts';

/** Independent reading of the raw XML: KB → CVEs, by regex over each vulnerability block. */
function grepVendorFixKbs(xml: string): Map<string, Set<string>> {
  const kbs = new Map<string, Set<string>>();
  for (const vuln of xml.split('<vuln:Vulnerability ').slice(1)) {
    const cve = /<vuln:CVE>([^<]+)<\/vuln:CVE>/.exec(vuln)?.[1];
    for (const m of vuln.matchAll(/<vuln:Remediation Type="Vendor Fix">\s*<vuln:Description>(\d+)<\/vuln:Description>/g)) {
      const set = kbs.get(m[1]!) ?? new Set<string>();
      if (cve) set.add(cve);
      kbs.set(m[1]!, set);
    }
  }
  return kbs;
}

describe.each(['cvrfDocument-2025-Nov.xml', 'cvrfDocument-2024-Jun.xml'])('parseCvrf() on %s', (file) => {
  const xml = readFileSync(join(FIXTURES, 'cvrf', file), 'utf8');
  const summary = parseCvrf(xml);
  const expected = grepVendorFixKbs(xml);

  it('names the document', () => {
    expect(summary.document).toBe(/<cvrf:ID>([^<]+)<\/cvrf:ID>/.exec(xml)![1]);
  });

  it('lists every numeric Vendor Fix description as a KB with all its CVEs', () => {
    expect(summary.kbs.map((k) => k.kb).sort()).toEqual([...expected.keys()].sort());
    for (const k of summary.kbs) expect(k.cves).toEqual([...expected.get(k.kb)!].sort());
  });

  it('never takes a non-numeric description for a KB', () => {
    expect(summary.kbs.every((k) => /^\d+$/.test(k.kb))).toBe(true);
  });

  it('resolves product names and severities', () => {
    const names = new Set([...xml.matchAll(/<prod:FullProductName ProductID="[^"]+">([^<]+)</g)].map((m) => m[1]!.replace(/&amp;/g, '&')));
    for (const k of summary.kbs) for (const p of k.products) expect(names.has(p)).toBe(true);
    expect(summary.kbs.some((k) => k.severity === 'Critical' || k.severity === 'Important')).toBe(true);
  });
});

describe('parseCvrf() KB counts', () => {
  // PROVENANCE.md of fixtures/cvrf counts 39 (2025-Nov) and 27 (2024-Jun) distinct all-digit descriptions.
  it.each([
    ['cvrfDocument-2025-Nov.xml', 39],
    ['cvrfDocument-2024-Jun.xml', 27],
  ])('finds the KBs PROVENANCE.md counts in %s', (file, count) => {
    expect(parseCvrf(readFileSync(join(FIXTURES, 'cvrf', file), 'utf8')).kbs).toHaveLength(count);
  });
});

describe('parseCvrf() on known KBs of 2025-Nov', () => {
  const summary = parseCvrf(readFileSync(join(FIXTURES, 'cvrf', 'cvrfDocument-2025-Nov.xml'), 'utf8'));
  it('reads supersedence, sub type and restart of KB5068791', () => {
    const kb = summary.kbs.find((k) => k.kb === '5068791')!;
    expect(kb.supersedes).toContain('5066586');
    expect(kb.subTypes).toContain('Security Update');
    expect(kb.restartRequired).toBe(true);
  });
});

describe('parseCvrf() refuses unsafe or broken XML', () => {
  it('refuses a DOCTYPE', () => {
    const err = (() => {
      try {
        parseCvrf('<!DOCTYPE x [<!ENTITY a "b">]><cvrfdoc>&a;</cvrfdoc>');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isPatchdiscError(err, 'XML_INVALID')).toBe(true);
  });
  it('refuses malformed XML', () => {
    expect(() => parseCvrf('<cvrf:cvrfdoc xmlns:cvrf="x"><a></cvrf:cvrfdoc>')).toThrow(/Cannot parse the CVRF document/);
  });
  it('refuses a prolog the validator lets through but the parser rejects (found by the fuzzer)', () => {
    const xml = '<?xml version="1.0" encoding=&utf-8"?>\n<cvrfdoc></cvrfdoc>';
    expect(() => parseCvrf(xml)).toThrow(expect.objectContaining({ code: 'XML_INVALID', message: expect.stringMatching(/^Cannot parse the CVRF document/) }));
  });
});
