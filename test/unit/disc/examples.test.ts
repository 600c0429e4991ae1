import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { folderDiscReader } from '../../../src/disc/folder-disc-reader.ts';
import { loadCertificate } from '../../../src/disc/keys.ts';
import { verifyDisc } from '../../../src/disc/verify-disc.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';

const EXAMPLES = join(import.meta.dirname, '../../../manifests/examples');
const hasOpenssl = requireTools('openssl', 'sha256sum');

describe('manifests/examples (committed test vectors)', () => {
  it('is accepted by verifyDisc with vendor.cer, and its MANIFEST.json validates against the JSON Schema', async () => {
    const cert = await loadCertificate(join(EXAMPLES, 'vendor.cer'));
    const res = await verifyDisc(folderDiscReader(join(EXAMPLES, 'disc')), { certificate: cert, subscriber: 'EXAMPLE-001', now: new Date('2026-11-25T00:00:00Z') });
    expect(res.problems).toEqual([]);
    expect(res.ok).toBe(true);
    const schema = JSON.parse(readFileSync(join(EXAMPLES, '../manifest.schema.json'), 'utf8')) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    expect(validate(JSON.parse(readFileSync(join(EXAMPLES, 'disc/MANIFEST.json'), 'utf8'))), JSON.stringify(validate.errors)).toBe(true);
  });

  it.skipIf(!hasOpenssl)('verifies with stock openssl and sha256sum', () => {
    const tmp = makeTempDir();
    try {
      const pub = join(tmp.dir, 'pub.pem');
      execFileSync('sh', ['-c', `openssl x509 -inform DER -in '${join(EXAMPLES, 'vendor.cer')}' -pubkey -noout > '${pub}'`]);
      for (const f of ['MANIFEST.json', 'SHA256SUMS']) {
        execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', join(EXAMPLES, 'disc', `${f}.sig`), join(EXAMPLES, 'disc', f)]);
      }
      execFileSync('sha256sum', ['--check', '--strict', '--quiet', 'SHA256SUMS'], { cwd: join(EXAMPLES, 'disc') });
    } finally {
      tmp.remove();
    }
  });
});
