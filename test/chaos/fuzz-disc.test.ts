import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDiscMetadata } from '../../src/disc/disc-metadata.ts';
import { folderDiscReader } from '../../src/disc/folder-disc-reader.ts';
import { loadCertificate, loadSigningKey, type LoadedCertificate } from '../../src/disc/keys.ts';
import { verifyDisc } from '../../src/disc/verify-disc.ts';
import { fuzz } from '../helpers/chaos-fuzz.ts';
import { CHAOS_PASSPHRASE, chaosSeed, makeChaosKey, seededRandom } from '../helpers/chaos-setup.ts';
import { makeTempDir } from '../helpers/tools.ts';

const BUDGET_MS = Number(process.env['PATCHDISC_FUZZ_MS'] ?? 10_000);
const NOW = new Date('2026-10-01T00:00:00Z');
/** The signed metadata and one payload: changing any of their bytes must fail verification. */
const TARGETS = ['MANIFEST.json', 'MANIFEST.json.sig', 'SHA256SUMS', 'SHA256SUMS.sig', 'updates/windows-11/KB5071102/windows11.0-kb5071102-x64_af8306a1f0105e5eca8cb93d6c4b0aac55a9a4d1.msu'];

describe('fuzzing a signed disc folder (issue 8)', () => {
  const tmp = makeTempDir('patchdisc-chaos-disc-');
  const disc = join(tmp.dir, 'disc');
  let cert: LoadedCertificate;
  beforeAll(async () => {
    const k = await makeChaosKey(join(tmp.dir, 'keys'));
    const key = await loadSigningKey({ keyPath: k.keyPath, certPath: k.certPath, passphrase: CHAOS_PASSPHRASE });
    cert = await loadCertificate(k.certPath);
    const payload = Buffer.alloc(200_000, 7);
    payload.write('not a real update, a fuzz payload');
    const path = TARGETS[4]!;
    const sha256 = createHash('sha256').update(payload).digest('hex');
    const manifest = {
      vendor: 'patchdisc CHAOS vendor',
      subscriberId: 'CHAOS-CD-001',
      sequence: 1,
      disc: 1,
      discs: 1,
      created: '2026-09-28T00:00:00.000Z',
      expires: '2026-11-02T00:00:00.000Z',
      signingKeySha256: key.keyId,
      previousManifestSha256: null,
      pipeline: 'demo',
      week: '2026-W40',
      quietWeek: false,
      files: [{ path, size: payload.length, sha256, kb: 'KB5071102', title: 'fuzz payload' }],
    };
    const files = buildDiscMetadata({ manifest, key, updateFiles: [{ path, sha256 }], indexHtml: '<!doctype html><title>disc</title>', readmeTxt: 'disc\n' });
    for (const f of [...files, { path, data: payload }]) {
      mkdirSync(dirname(join(disc, f.path)), { recursive: true });
      writeFileSync(join(disc, f.path), f.data);
    }
  });
  afterAll(() => tmp.remove());

  it('the untouched folder verifies', async () => {
    const r = await verifyDisc(folderDiscReader(disc), { certificate: cert, subscriber: 'CHAOS-CD-001', now: NOW });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('any mutation of MANIFEST.json, SHA256SUMS, their signatures or a payload is refused (ok=false or a PatchdiscError), never a crash or hang', async () => {
    const random = seededRandom(chaosSeed('disc fuzz'));
    for (const target of TARGETS) {
      const file = join(disc, target);
      const original = readFileSync(file);
      try {
        const stats = await fuzz(
          `disc ${target}`,
          [original],
          async (input) => {
            if (input.equals(original)) return 'rejected';
            writeFileSync(file, input);
            const r = await verifyDisc(folderDiscReader(disc), { certificate: cert, subscriber: 'CHAOS-CD-001', now: NOW });
            if (r.ok) throw new Error(`ACCEPTED a disc whose ${target} changed (${input.length} bytes, was ${original.length})`);
            return 'rejected';
          },
          { random, budgetMs: BUDGET_MS / TARGETS.length },
        );
        expect(stats.failures).toEqual([]);
        expect(stats.inputs).toBeGreaterThan(0);
      } finally {
        writeFileSync(file, original);
      }
    }
  });
});
