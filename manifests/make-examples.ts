/**
 * Writes manifests/examples/: a small signed example disc tree and the certificate that verifies it,
 * as test vectors for anyone writing another verifier. Run: node --import tsx manifests/make-examples.ts
 * A fresh key is generated each time and its private half is thrown away, so the examples carry no
 * secret; the update files are short placeholder texts, not Microsoft binaries.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildDiscMetadata } from '../src/disc/disc-metadata.ts';
import { renderDiscIndex } from '../src/disc/index-html.ts';
import { generateSigningKey, loadSigningKey } from '../src/disc/keys.ts';
import type { ManifestInput } from '../src/disc/manifest.ts';
import { renderDiscReadme } from '../src/disc/readme-txt.ts';

const OUT = join(import.meta.dirname, 'examples');
const NOW = new Date('2026-11-23T00:00:00Z');

const updates = [
  { path: 'updates/windows-11/KB5070001/windows11.0-kb5070001-x64_example.msu', kb: 'KB5070001', title: 'Example cumulative update (KB5070001)', text: 'example payload 1\n' },
  { path: 'updates/windows-11/KB5070002/windows11.0-kb5070002-x64_example.msu', kb: 'KB5070002', title: 'Example servicing stack update (KB5070002)', text: 'example payload 2\n' },
];

const tmp = await mkdtemp(join(tmpdir(), 'patchdisc-examples-'));
try {
  const passphrase = 'throwaway-example-passphrase';
  const gen = await generateSigningKey({ name: 'patchdisc EXAMPLE key (test vectors only)', passphrase, keyDir: tmp, now: NOW, days: 3650 });
  const key = await loadSigningKey({ keyPath: gen.keyPath, certPath: gen.certPath, passphrase });
  const files = updates.map((u) => ({ ...u, data: Buffer.from(u.text), sha256: createHash('sha256').update(u.text).digest('hex') }));
  const manifest: ManifestInput = {
    vendor: 'patchdisc example vendor',
    subscriberId: 'EXAMPLE-001',
    sequence: 1,
    disc: 1,
    discs: 1,
    created: NOW.toISOString(),
    expires: '2099-12-31T00:00:00.000Z',
    signingKeySha256: key.keyId,
    previousManifestSha256: null,
    pipeline: 'example',
    week: '2026-W48',
    quietWeek: false,
    files: files.map((f) => ({ path: f.path, size: f.data.length, sha256: f.sha256, kb: f.kb, title: f.title })),
    installOrder: [files[1]!.path, files[0]!.path],
  };
  const metadata = buildDiscMetadata({
    manifest,
    key,
    updateFiles: files.map((f) => ({ path: f.path, sha256: f.sha256 })),
    indexHtml: renderDiscIndex(manifest),
    readmeTxt: renderDiscReadme(manifest, gen.fingerprint),
  });
  await rm(OUT, { recursive: true, force: true });
  const disc = join(OUT, 'disc');
  for (const f of [...metadata, ...files]) {
    await mkdir(dirname(join(disc, f.path)), { recursive: true });
    await writeFile(join(disc, f.path), f.data);
  }
  await copyFile(gen.certPath, join(OUT, 'vendor.cer'));
  await writeFile(
    join(OUT, 'README.md'),
    `# Example disc (test vectors)\n\n\`disc/\` is a signed disc tree for subscriber EXAMPLE-001, sequence 1, expiring 2099. \`vendor.cer\`\nverifies it; its SHA-256 (the key id) is \`${key.keyId}\`. The private key was discarded.\n\n` +
      '```sh\nopenssl x509 -inform DER -in vendor.cer -pubkey -noout > vendor.pub.pem\n' +
      'openssl dgst -sha256 -verify vendor.pub.pem -signature disc/MANIFEST.json.sig disc/MANIFEST.json\n' +
      'openssl dgst -sha256 -verify vendor.pub.pem -signature disc/SHA256SUMS.sig disc/SHA256SUMS\n' +
      '(cd disc && sha256sum --check --strict SHA256SUMS)\n```\n\nRegenerate with `node --import tsx manifests/make-examples.ts` (a new key each time).\n',
  );
  process.stdout.write(`wrote ${OUT} (key ${key.keyId})\n`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
