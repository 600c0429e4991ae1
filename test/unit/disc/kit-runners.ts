import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { enrollmentKitFiles } from '../../../src/disc/kit.ts';

/** Writes the enrollment kit for `certificatePath` unpacked into `dir`, as a subscriber would. */
export async function writeKitFolder(dir: string, certificatePath: string, sequenceBaseline = 6, subscriberCode = 'ACME-01'): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (const f of await enrollmentKitFiles({ certificatePath, subscriberCode, sequenceBaseline })) {
    writeFileSync(join(dir, f.path), f.data);
    chmodSync(join(dir, f.path), f.mode);
  }
  return dir;
}

/** Runs the kit's verify-disc.sh on a disc folder: exit status and stdout + stderr. */
export function runVerifyScript(kit: string, disc: string): { status: number | null; out: string } {
  const r = spawnSync('sh', [join(kit, 'verify-disc.sh'), disc], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

export interface PageRun {
  /** The result line and the list of checks */
  text: string;
  /** What the page keeps in localStorage for `subscriber` after this disc */
  stored: string | null;
}

/** Opens the kit's verify.html in Chromium and picks each disc folder in turn, in one browser session. */
export async function runVerifyPage(kit: string, discs: string[], subscriber = 'ACME-01'): Promise<PageRun[]> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const results: PageRun[] = [];
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`file://${join(kit, 'verify.html')}`);
    for (const disc of discs) {
      await page.evaluate(() => {
        const r = document.getElementById('result');
        if (r !== null) r.textContent = '';
      });
      await page.setInputFiles('#folder', disc);
      await page.waitForFunction(() => (document.getElementById('result')?.textContent ?? '') !== '', undefined, { timeout: 30_000 });
      const stored = await page.evaluate((code) => localStorage.getItem(`patchdisc.${code}`), subscriber);
      results.push({ text: `${await page.textContent('#result')}\n${await page.textContent('#checks')}`, stored });
    }
  } finally {
    await browser.close();
  }
  return results;
}
