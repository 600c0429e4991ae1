import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { normalizeSha1, normalizeSha256 } from '../../../src/fetch/normalize-digest.ts';

describe('normalizeSha1()', () => {
  const raw = createHash('sha1').update('patchdisc').digest();

  it('turns base64 (as in package.xml) and upper-case hex into lowercase hex', () => {
    expect(normalizeSha1(raw.toString('base64'))).toBe(raw.toString('hex'));
    expect(normalizeSha1(raw.toString('hex').toUpperCase())).toBe(raw.toString('hex'));
  });

  it('rejects digests of the wrong length or alphabet', () => {
    for (const bad of ['', 'abc', raw.toString('hex').slice(2), raw.toString('base64').slice(4), `${raw.toString('hex')}00`, 'g'.repeat(40)]) {
      let caught: unknown;
      try {
        normalizeSha1(bad);
      } catch (err) {
        caught = err;
      }
      expect(isPatchdiscError(caught, 'VALIDATION')).toBe(true);
    }
  });

  it('normalizeSha256() accepts 64 hex digits and base64 of 32 bytes', () => {
    const d = createHash('sha256').update('x').digest();
    expect(normalizeSha256(d.toString('base64'))).toBe(d.toString('hex'));
    expect(() => normalizeSha256(raw.toString('hex'))).toThrow(/SHA-256/);
  });
});
