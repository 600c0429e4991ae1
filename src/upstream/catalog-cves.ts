import type { CatalogUpdate } from './catalog-model.ts';
import type { MonthLabel } from './catalog-timeline.ts';

/** A simulated vulnerability fixed in one month; SYNTHETIC ids in a range Microsoft has not used. */
export interface CveInfo {
  id: string;
  title: string;
  severity: 'Critical' | 'Important';
  baseScore: string;
  vector: string;
  monthIndex: number;
  /** KB numbers (digits) whose updates fix it */
  kbs: string[];
}

const WINDOWS_CVES = [
  { title: 'Windows Kernel Elevation of Privilege Vulnerability', severity: 'Important', score: '7.8', vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C' },
  { title: 'Windows SMB Server Remote Code Execution Vulnerability', severity: 'Critical', score: '9.8', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C' },
  { title: 'Windows Graphics Component Information Disclosure Vulnerability', severity: 'Important', score: '5.5', vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N/E:U/RL:O/RC:C' },
  { title: 'Windows Hyper-V Denial of Service Vulnerability', severity: 'Important', score: '6.5', vector: 'CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H/E:U/RL:O/RC:C' },
] as const;
const DOTNET_CVE = { title: '.NET Framework Remote Code Execution Vulnerability', severity: 'Important', score: '8.1', vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C' } as const;
/** CVE numbers 29xxx: far above what MSRC assigns early in a year, so they do not pose as real ones. */
const CVE_NUMBER_BASE = 29_000;

/** The CVEs of `month`, linked to the KBs of that month's updates. */
export function cvesForMonth(month: MonthLabel, updates: readonly CatalogUpdate[]): CveInfo[] {
  const slot = month.index + 2;
  const distinct = (kinds: string[]): string[] => [...new Set(updates.filter((u) => kinds.includes(u.kind)).map((u) => u.kb))];
  const windowsKbs = distinct(['cu']);
  const dotnetKbs = distinct(['dotnet', 'langpack']);
  const all = [...WINDOWS_CVES.map((c) => ({ ...c, kbs: windowsKbs })), { ...DOTNET_CVE, kbs: dotnetKbs }];
  return all.map((c, j) => ({
    id: `CVE-${month.year}-${CVE_NUMBER_BASE + slot * 20 + j}`,
    title: c.title,
    severity: c.severity,
    baseScore: c.score,
    vector: c.vector,
    monthIndex: month.index,
    kbs: c.kbs,
  }));
}
