import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, loadSigningKey } from '../../../src/disc/keys.ts';
import type { GeneratedKey, SigningKey } from '../../../src/disc/keys.ts';
import { buildEnrollmentKit, enrollmentKitFiles } from '../../../src/disc/kit.ts';
import type { ManifestInput } from '../../../src/disc/manifest.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { PASSPHRASE, sha256Hex, writeDiscFolder } from './disc-fixture.ts';
import { runVerifyPage, runVerifyScript, writeKitFolder } from './kit-runners.ts';

const hasShellTools = requireTools('sh', 'openssl', 'sha256sum', 'find', 'sort');
const hasUnzip = requireTools('unzip');
const hasChromium = requireTools('chromium');

/** Valid against the real clock, which the script and the page read. */
const CURRENT: Partial<ManifestInput> = { created: '2026-01-01T00:00:00Z', expires: '2099-01-01T00:00:00Z' };

describe('enrollment kit', () => {
  const tmp = makeTempDir();
  let generated: GeneratedKey;
  let key: SigningKey;
  let otherKey: SigningKey;
  let good: string;
  let n = 0;

  beforeAll(async () => {
    generated = await generateSigningKey({ name: 'Vendor', passphrase: PASSPHRASE, keyDir: join(tmp.dir, 'keys') });
    key = await loadSigningKey({ keyPath: generated.keyPath, certPath: generated.certPath, passphrase: PASSPHRASE });
    const o = await generateSigningKey({ name: 'Intruder', passphrase: PASSPHRASE, keyDir: join(tmp.dir, 'keys') });
    otherKey = await loadSigningKey({ keyPath: o.keyPath, certPath: o.certPath, passphrase: PASSPHRASE });
    good = join(tmp.dir, 'good');
    writeDiscFolder(good, key, { overrides: CURRENT });
  });
  afterAll(() => tmp.remove());

  function fresh(name: string): string {
    n += 1;
    return join(tmp.dir, `${name}-${n}`);
  }

  async function writeKit(baseline = 6): Promise<string> {
    return writeKitFolder(fresh('kit'), generated.certPath, baseline);
  }

  const runScript = runVerifyScript;

  it('enrollmentKitFiles() holds the certificate, fingerprint, subscriber, baseline and pinned key', async () => {
    const files = await enrollmentKitFiles({ certificatePath: generated.certPath, subscriberCode: 'ACME-01', sequenceBaseline: 6 });
    expect(files.map((f) => f.path)).toEqual(['vendor.cer', 'FINGERPRINT.txt', 'SUBSCRIBER.txt', 'README.txt', 'state.txt', 'verify-disc.sh', 'verify.html']);
    const get = (p: string): Buffer => files.find((f) => f.path === p)?.data ?? Buffer.alloc(0);
    expect(get('vendor.cer').equals(readFileSync(generated.certPath))).toBe(true);
    expect(get('FINGERPRINT.txt').toString()).toContain(generated.fingerprint.split('\n')[0]);
    expect(get('SUBSCRIBER.txt').toString()).toContain('sequence baseline: 6');
    expect(get('state.txt').toString()).toBe('subscriberId=ACME-01\nlastSequence=6\nlastManifestSha256=\n');
    expect(get('verify-disc.sh').toString()).toContain(`PINNED_SHA256='${generated.keyId}'`);
    expect(get('verify.html').toString()).toContain(`"keyId":"${generated.keyId}"`);
    expect(get('verify.html').toString()).not.toMatch(/(src|href)=/);
  });

  it('enrollmentKitFiles() refuses a bad subscriber code or baseline', async () => {
    const base = { certificatePath: generated.certPath, sequenceBaseline: 0 };
    await expect(enrollmentKitFiles({ ...base, subscriberCode: 'a b' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(enrollmentKitFiles({ ...base, subscriberCode: 'A', sequenceBaseline: -1 })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it.skipIf(!hasUnzip)('buildEnrollmentKit() writes a zip with one kit folder and an executable script', async () => {
    const outZip = join(tmp.dir, 'out', 'kit.zip');
    const result = await buildEnrollmentKit({ certificatePath: generated.certPath, subscriberCode: 'ACME-01', sequenceBaseline: 6, outZip });
    const listed = execFileSync('unzip', ['-Z1', outZip], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listed).toEqual([...result.files].sort());
    const dest = fresh('unzipped');
    execFileSync('unzip', ['-q', outZip, '-d', dest]);
    const folder = join(dest, 'patchdisc-kit-ACME-01');
    expect(readFileSync(join(folder, 'vendor.cer')).equals(readFileSync(generated.certPath))).toBe(true);
    expect(statSync(join(folder, 'verify-disc.sh')).mode & 0o111).not.toBe(0);
    execFileSync('unzip', ['-tq', outZip]);
  });

  describe.skipIf(!hasShellTools)('verify-disc.sh', () => {
    it('accepts a good disc, records it, accepts it again, then refuses another disc with the same sequence', async () => {
      const kit = await writeKit();
      const ok = runScript(kit, good);
      expect(ok.out).toContain('OK / 验证通过');
      expect(ok.status).toBe(0);
      expect(readFileSync(join(kit, 'state.txt'), 'utf8')).toBe(
        `subscriberId=ACME-01\nlastSequence=7\nlastManifestSha256=${sha256Hex(readFileSync(join(good, 'MANIFEST.json')))}\n`,
      );
      expect(runScript(kit, good).status).toBe(0);
      const sameSequence = fresh('same-seq');
      writeDiscFolder(sameSequence, key, { overrides: { ...CURRENT, week: '2026-W43' } });
      const replay = runScript(kit, sameSequence);
      expect(replay.status).toBe(1);
      expect(replay.out).toContain('sequence 7 is not newer than 7');
    });

    it('refuses to run with a certificate that does not match the pinned fingerprint', async () => {
      const kit = await writeKit();
      writeFileSync(join(kit, 'vendor.cer'), otherKey.certificateDer);
      const r = runScript(kit, good);
      expect(r.status).toBe(1);
      expect(r.out).toContain('does not match the pinned fingerprint');
    });
  });

  describe.skipIf(!hasChromium)('verify.html', () => {
    it('accepts a good disc, records it, then refuses another disc with the same sequence', async () => {
      const kit = await writeKit();
      const sameSequence = fresh('same-seq-page');
      writeDiscFolder(sameSequence, key, { overrides: { ...CURRENT, week: '2026-W43' } });
      const [ok, replay] = await runVerifyPage(kit, [good, sameSequence]);
      expect(ok?.text).toContain('Disc verified');
      expect(JSON.parse(ok?.stored ?? 'null')).toMatchObject({ sequence: 7 });
      expect(replay?.text).toContain('Verification FAILED');
      expect(replay?.text).toContain('✘ 序号 7 新于 7');
    });
  });
});
