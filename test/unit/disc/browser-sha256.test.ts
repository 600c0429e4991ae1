import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BROWSER_SHA256_JS } from '../../../src/disc/browser-sha256.ts';

interface Sha256 {
  update(data: Uint8Array): void;
  hex(): string;
}
const createSha256 = new Function(`${BROWSER_SHA256_JS}\nreturn createSha256;`)() as () => Sha256;

function browserHash(data: Uint8Array, sliceSizes: number[]): string {
  const h = createSha256();
  let offset = 0;
  let i = 0;
  while (offset < data.length) {
    const size = sliceSizes[i % sliceSizes.length] ?? 1;
    h.update(data.subarray(offset, offset + size));
    offset += size;
    i += 1;
  }
  return h.hex();
}

describe('BROWSER_SHA256_JS createSha256()', () => {
  it('matches the FIPS 180-4 examples', () => {
    const empty = createSha256();
    expect(empty.hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const abc = createSha256();
    abc.update(new TextEncoder().encode('abc'));
    expect(abc.hex()).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('matches node:crypto for every length around the padding boundaries and any slicing', () => {
    const data = randomBytes(300);
    for (let len = 0; len <= 200; len += 1) {
      const part = data.subarray(0, len);
      const expected = createHash('sha256').update(part).digest('hex');
      expect(browserHash(part, [len || 1])).toBe(expected);
      expect(browserHash(part, [1, 7, 63, 64, 65])).toBe(expected);
    }
  });

  it('matches node:crypto on 5 MiB fed in 1 MiB + odd slices', () => {
    const data = randomBytes(5 * 1024 * 1024 + 13);
    expect(browserHash(data, [1024 * 1024, 4093])).toBe(createHash('sha256').update(data).digest('hex'));
  });
});
