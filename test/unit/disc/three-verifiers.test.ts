import { cpSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { folderDiscReader } from '../../../src/disc/folder-disc-reader.ts';
import { generateSigningKey, loadCertificate, loadSigningKey } from '../../../src/disc/keys.ts';
import type { LoadedCertificate, SigningKey } from '../../../src/disc/keys.ts';
import { renderKitState } from '../../../src/disc/kit-verify-script.ts';
import type { ManifestInput } from '../../../src/disc/manifest.ts';
import { verifyDisc } from '../../../src/disc/verify-disc.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { PASSPHRASE, sampleUpdates, sha256Hex, writeDiscFolder } from './disc-fixture.ts';
import { runVerifyPage, runVerifyScript, writeKitFolder } from './kit-runners.ts';

const hasShellTools = requireTools('sh', 'openssl', 'sha256sum', 'find', 'sort');
const hasChromium = requireTools('chromium');

/** Valid against the real clock, which the script and the page read (verifyDisc() is given it too). */
const CURRENT: Partial<ManifestInput> = { created: '2026-01-01T00:00:00Z', expires: '2099-01-01T00:00:00Z' };
/** The kit's sequence baseline; the good disc is sequence 7 of week 2026-W42. */
const BASELINE = 6;
const MSU = 'updates/windows-10/KB50421234/windows10.0-kb50421234-x64.msu';
const RENAMED = MSU.replace('x64', 'x86');
const WEEK1_MSU = 'updates/windows-10/KB50411234/windows10.0-kb50411234-x64.msu';

/** One tampered disc and what each verifier must say about it (every pattern must match). */
interface Tampered {
  name: string;
  /** Writes the disc into the (not yet existing) folder */
  build: (dir: string) => void;
  /** verifyDisc(): the checks that fail, and its problems */
  cli: { failed: string[]; says: (string | RegExp)[] };
  /** verify-disc.sh output (stdout + stderr) */
  script: (string | RegExp)[];
  /** verify.html result line and list of checks */
  page: (string | RegExp)[];
}

/**
 * The disc-trust rules of issue 6 checked on the same discs by all three verifiers: `patchdisc verify`
 * (verifyDisc()), the kit's verify-disc.sh and the kit's verify.html in headless Chromium.
 */
describe('the three disc verifiers on one good and 14 tampered discs', () => {
  const tmp = makeTempDir();
  let key: SigningKey;
  let otherKey: SigningKey;
  let certPath: string;
  let pinned: LoadedCertificate;
  let good: string;
  let donor: string;
  let week1: string;
  const discs = new Map<string, string>();
  let n = 0;

  function fresh(name: string): string {
    n += 1;
    return join(tmp.dir, `${name}-${n}`);
  }
  function copyOfGood(dir: string): void {
    cpSync(good, dir, { recursive: true });
  }
  function edit(dir: string, path: string, change: (text: string) => string): void {
    const before = readFileSync(join(dir, path), 'utf8');
    const after = change(before);
    if (after === before) throw new Error(`fixture edit of ${path} changed nothing`);
    writeFileSync(join(dir, path), after);
  }

  const tampered: Tampered[] = [
    {
      name: 'byte flipped in an update file',
      build: (dir) => {
        copyOfGood(dir);
        const data = readFileSync(join(dir, MSU));
        data[10] = (data[10] ?? 0) ^ 1;
        writeFileSync(join(dir, MSU), data);
      },
      cli: { failed: ['hashes'], says: [`Damaged or altered: ${MSU} SHA-256 differs`] },
      script: [`${MSU}: FAILED`, 'files are damaged or altered'],
      page: [`damaged or altered: ${MSU}`],
    },
    {
      name: 'extra file',
      build: (dir) => {
        copyOfGood(dir);
        writeFileSync(join(dir, 'updates', 'autorun.inf'), '[autorun]\n');
      },
      cli: { failed: ['file-set'], says: ['File set differs: not listed updates/autorun.inf'] },
      script: ['extra / 多余: updates/autorun.inf', 'the files on the disc differ from SHA256SUMS'],
      page: ['exact file set; extra updates/autorun.inf'],
    },
    {
      name: 'missing file',
      build: (dir) => {
        copyOfGood(dir);
        rmSync(join(dir, MSU));
      },
      cli: { failed: ['file-set'], says: [`File set differs: missing ${MSU}`] },
      script: [`missing / 缺少: ${MSU}`, 'the files on the disc differ from SHA256SUMS'],
      page: [`exact file set; missing ${MSU}`],
    },
    {
      name: 'edited SHA256SUMS',
      build: (dir) => {
        copyOfGood(dir);
        edit(dir, 'SHA256SUMS', (t) => t.replace('# sequence: 7', '# sequence: 8'));
      },
      cli: { failed: ['sums-signature'], says: ['SHA256SUMS.sig is not a valid signature by the pinned key'] },
      script: ['SHA256SUMS is not signed by the pinned key'],
      page: ['✔ MANIFEST.json 签名有效', '✘ SHA256SUMS 签名有效'],
    },
    {
      name: 'edited MANIFEST.json',
      build: (dir) => {
        copyOfGood(dir);
        edit(dir, 'MANIFEST.json', (t) => t.replace('"sequence": 7', '"sequence": 8'));
      },
      cli: { failed: ['manifest-signature'], says: ['MANIFEST.json.sig is not a valid signature by the pinned key'] },
      script: ['MANIFEST.json is not signed by the pinned key'],
      page: ['✘ MANIFEST.json 签名有效', '✔ SHA256SUMS 签名有效'],
    },
    {
      name: 'signature taken from another disc',
      build: (dir) => {
        copyOfGood(dir);
        for (const sig of ['MANIFEST.json.sig', 'SHA256SUMS.sig']) cpSync(join(donor, sig), join(dir, sig));
      },
      cli: { failed: ['manifest-signature', 'sums-signature'], says: ['MANIFEST.json.sig is not a valid signature by the pinned key'] },
      script: ['SHA256SUMS is not signed by the pinned key'],
      page: ['✘ MANIFEST.json 签名有效', '✘ SHA256SUMS 签名有效'],
    },
    {
      name: 'signed with another key',
      build: (dir) => writeDiscFolder(dir, otherKey, { overrides: CURRENT }),
      cli: { failed: ['manifest-signature', 'sums-signature'], says: ['(signed by an unknown key, or altered)'] },
      script: ['SHA256SUMS is not signed by the pinned key'],
      page: ['✘ MANIFEST.json 签名有效', '✘ SHA256SUMS 签名有效'],
    },
    {
      name: 'older sequence',
      build: (dir) => writeDiscFolder(dir, key, { updates: sampleUpdates(40), overrides: { ...CURRENT, sequence: 5, week: '2026-W40' } }),
      cli: { failed: ['sequence'], says: ['sequence 5 is not newer than 6 already accepted'] },
      script: ['sequence 5 is not newer than 6'],
      page: ['✘ 序号 5 新于 6'],
    },
    {
      name: 'expired',
      build: (dir) => writeDiscFolder(dir, key, { overrides: { created: '2001-01-01T00:00:00Z', expires: '2001-02-05T00:00:00Z' } }),
      cli: { failed: ['expiry'], says: ['expired on 2001-02-05T00:00:00Z'] },
      script: ['disc expired on 2001-02-05T00:00:00Z'],
      page: ['✘ 未过期（2001-02-05T00:00:00Z）'],
    },
    {
      name: "another subscriber's disc",
      build: (dir) => writeDiscFolder(dir, key, { overrides: { ...CURRENT, subscriberId: 'BETA-02' } }),
      cli: { failed: ['subscriber'], says: ['disc is meant for BETA-02, not ACME-01'] },
      script: ['disc is meant for BETA-02, not ACME-01'],
      page: ['✘ 光盘属于订户 ACME-01', 'disc says BETA-02'],
    },
    {
      name: 'files of week 1 with the metadata of week 2',
      build: (dir) => {
        copyOfGood(dir);
        rmSync(join(dir, 'updates'), { recursive: true });
        cpSync(join(week1, 'updates'), join(dir, 'updates'), { recursive: true });
      },
      cli: { failed: ['file-set'], says: [/File set differs: missing [^;]*kb50421234[^;]*; not listed [^;]*kb50411234/] },
      script: [`missing / 缺少: ${MSU}`, `extra / 多余: ${WEEK1_MSU}`],
      page: [/exact file set; missing [^;\n]*kb50421234[^;\n]*; extra [^;\n]*kb50411234/],
    },
    {
      name: 'renamed file',
      build: (dir) => {
        copyOfGood(dir);
        renameSync(join(dir, MSU), join(dir, RENAMED));
      },
      cli: { failed: ['file-set'], says: [`File set differs: missing ${MSU}; not listed ${RENAMED}`] },
      script: [`missing / 缺少: ${MSU}`, `extra / 多余: ${RENAMED}`],
      page: [`exact file set; missing ${MSU}; extra ${RENAMED}`],
    },
    {
      name: 'truncated file',
      build: (dir) => {
        copyOfGood(dir);
        truncateSync(join(dir, MSU), 5);
      },
      cli: { failed: ['sizes'], says: [`Sizes differ: ${MSU} is 5 bytes, expected`] },
      script: [`${MSU}: FAILED`, 'files are damaged or altered'],
      page: [`✘ 文件大小一致：${MSU}`],
    },
    {
      name: 'empty signature file',
      build: (dir) => {
        copyOfGood(dir);
        writeFileSync(join(dir, 'SHA256SUMS.sig'), '');
      },
      cli: { failed: ['metadata'], says: ['SHA256SUMS.sig is 0 bytes, expected 384 bytes'] },
      script: ['SHA256SUMS is not signed by the pinned key'],
      page: ['✘ 签名元数据齐全'],
    },
  ];

  beforeAll(async () => {
    const generate = async (name: string): Promise<{ key: SigningKey; certPath: string }> => {
      const g = await generateSigningKey({ name, passphrase: PASSPHRASE, keyDir: join(tmp.dir, 'keys') });
      return { key: await loadSigningKey({ keyPath: g.keyPath, certPath: g.certPath, passphrase: PASSPHRASE }), certPath: g.certPath };
    };
    const [vendor, intruder] = await Promise.all([generate('Vendor'), generate('Intruder')]);
    key = vendor.key;
    certPath = vendor.certPath;
    otherKey = intruder.key;
    pinned = await loadCertificate(certPath);
    good = join(tmp.dir, 'good');
    writeDiscFolder(good, key, { overrides: CURRENT });
    // A validly signed disc of the next week, whose signatures are copied onto the good disc.
    donor = join(tmp.dir, 'donor');
    writeDiscFolder(donor, key, { updates: sampleUpdates(43), overrides: { ...CURRENT, sequence: 8, week: '2026-W43' } });
    week1 = join(tmp.dir, 'week1');
    writeDiscFolder(week1, key, { updates: sampleUpdates(41), overrides: { ...CURRENT, sequence: 6, week: '2026-W41' } });
    for (const t of tampered) {
      const dir = fresh(t.name.replace(/\W+/g, '-'));
      t.build(dir);
      discs.set(t.name, dir);
    }
  }, 60_000);
  afterAll(() => tmp.remove());

  const disc = (name: string): string => {
    const dir = discs.get(name);
    if (dir === undefined) throw new Error(`no disc built for ${name}`);
    return dir;
  };

  /** verifyDisc() as `patchdisc verify` calls it; a VERIFY_FAILED error counts as a refusal. */
  async function library(dir: string): Promise<{ ok: boolean; failed: string[]; problems: string; parsed: boolean }> {
    try {
      const r = await verifyDisc(folderDiscReader(dir), { certificate: pinned, subscriber: 'ACME-01', state: { lastSequence: BASELINE }, now: new Date() });
      return { ok: r.ok, failed: r.checks.filter((c) => !c.ok).map((c) => c.name), problems: r.problems.join('\n'), parsed: r.manifest !== undefined };
    } catch (err) {
      if (!isPatchdiscError(err, 'VERIFY_FAILED')) throw err;
      return { ok: false, failed: ['error'], problems: err.message, parsed: false };
    }
  }

  describe('patchdisc verify (verifyDisc)', () => {
    it('accepts the good disc and the donor disc whose signatures another row copies', async () => {
      expect(await library(good)).toEqual({ ok: true, failed: [], problems: '', parsed: true });
      expect((await library(donor)).ok).toBe(true);
    });

    it.each(tampered)('refuses a disc with: $name', async ({ name, cli }) => {
      const r = await library(disc(name));
      expect(r.ok).toBe(false);
      expect(r.failed).toEqual(cli.failed);
      for (const says of cli.says) expect(r.problems).toMatch(says);
      // Only metadata whose signatures verified is parsed.
      expect(r.parsed).toBe(!cli.failed.some((c) => c === 'metadata' || c.endsWith('-signature')));
    });
  });

  describe.skipIf(!hasShellTools)("the kit's verify-disc.sh", () => {
    it('accepts the good disc and records it in the state file', async () => {
      const kit = await writeKitFolder(fresh('kit'), certPath, BASELINE);
      const r = runVerifyScript(kit, good);
      expect(r.out).toContain('OK / 验证通过: disc 1/1 of ACME-01, sequence 7');
      expect(r.status).toBe(0);
      expect(readFileSync(join(kit, 'state.txt'), 'utf8')).toBe(
        `subscriberId=ACME-01\nlastSequence=7\nlastManifestSha256=${sha256Hex(readFileSync(join(good, 'MANIFEST.json')))}\n`,
      );
    });

    it.each(tampered)('refuses a disc with: $name, and keeps the state file', async ({ name, script }) => {
      const kit = await writeKitFolder(fresh('kit'), certPath, BASELINE);
      const r = runVerifyScript(kit, disc(name));
      for (const says of script) expect(r.out).toMatch(says);
      expect(r.out).toContain('FAILED / 验证失败');
      expect(r.status).toBe(1);
      expect(readFileSync(join(kit, 'state.txt'), 'utf8')).toBe(renderKitState('ACME-01', BASELINE));
    });
  });

  describe.skipIf(!hasChromium)("the kit's verify.html", () => {
    it('refuses every tampered disc storing nothing, then accepts the good disc (one browser session)', async () => {
      const kit = await writeKitFolder(fresh('kit'), certPath, BASELINE);
      // The good disc comes last: once accepted, its sequence would be the one the others are held to.
      const runs = await runVerifyPage(kit, [...tampered.map((t) => disc(t.name)), good]);
      tampered.forEach(({ name, page }, i) => {
        const run = runs[i];
        expect(run?.text, name).toContain('Verification FAILED');
        for (const says of page) expect(run?.text, name).toMatch(says);
        expect(run?.stored, name).toBeNull();
      });
      const accepted = runs[tampered.length];
      expect(accepted?.text).toContain('Disc verified');
      expect(accepted?.text).not.toContain('✘');
      expect(JSON.parse(accepted?.stored ?? 'null')).toEqual({ sequence: 7, manifest: sha256Hex(readFileSync(join(good, 'MANIFEST.json'))) });
    }, 120_000);
  });
});
