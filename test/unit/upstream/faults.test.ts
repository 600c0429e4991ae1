import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { parseFaults, type FaultSpec } from '../../../src/upstream/faults.ts';
import { startUpstream, WSUSSCN2_PATH, type Upstream } from '../../../src/upstream/start-upstream.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';

async function withUpstream(faults: FaultSpec[], run: (up: Upstream, path: string, sha1: string, size: number) => Promise<void>): Promise<void> {
  const up = await startUpstream({ week: 1, payloadScale: 0.05, faults });
  try {
    const file = up.model().files.find((f) => f.fileName.includes('-kb') && f.size > 20_000);
    if (file === undefined) throw new Error('no payload');
    await run(up, file.urlPath, file.sha1Hex, file.size);
  } finally {
    await up.close();
  }
}

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

describe('parseFaults()', () => {
  it('reads kinds with times, match, ms and rate', () => {
    expect(parseFaults('reset:times=2,status503:times=1:match=kb5046613, stall:ms=300,trickle:rate=1000')).toEqual([
      { kind: 'reset', times: 2 },
      { kind: 'status503', times: 1, match: 'kb5046613' },
      { kind: 'stall', ms: 300 },
      { kind: 'trickle', bytesPerSecond: 1000 },
    ]);
    expect(parseFaults('')).toEqual([]);
  });

  it('rejects unknown kinds, unknown options and bad numbers as USAGE errors', () => {
    for (const bad of ['explode', 'reset:times=0', 'reset:times=x', 'reset:color=red', 'reset:match=']) {
      let caught: unknown;
      try {
        parseFaults(bad);
      } catch (err) {
        caught = err;
      }
      expect(isPatchdiscError(caught, 'USAGE')).toBe(true);
    }
  });
});

describe('upstream faults', () => {
  it('status503 answers 503 with Retry-After: 1, only `times` times', async () => {
    await withUpstream([{ kind: 'status503', times: 1 }], async (up, path, digest) => {
      const first = await fetch(up.url + path);
      expect(first.status).toBe(503);
      expect(first.headers.get('retry-after')).toBe('1');
      await first.arrayBuffer();
      const second = await fetch(up.url + path);
      expect(second.status).toBe(200);
      expect(sha1(Buffer.from(await second.arrayBuffer()))).toBe(digest);
    });
  });

  it('notFound answers 404 only for paths containing `match`', async () => {
    await withUpstream([{ kind: 'notFound', match: 'no-such-file' }], async (up, path) => {
      expect((await fetch(up.url + path)).status).toBe(200);
    });
    await withUpstream([{ kind: 'notFound', match: 'KB' }], async (up, path) => {
      expect((await fetch(up.url + path)).status).toBe(404);
    });
  });

  it('redirectForeign sends a 302 to a host outside Microsoft', async () => {
    await withUpstream([{ kind: 'redirectForeign' }], async (up, path) => {
      const res = await fetch(up.url + path, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`http://evil.example.invalid${path}`);
    });
  });

  it('reset drops the connection after part of the body', async () => {
    await withUpstream([{ kind: 'reset', times: 1 }], async (up, path, digest) => {
      const res = await fetch(up.url + path);
      expect(res.status).toBe(200);
      await expect(res.arrayBuffer()).rejects.toThrow();
      const again = await fetch(up.url + path);
      expect(sha1(Buffer.from(await again.arrayBuffer()))).toBe(digest);
    });
  });

  it('lyingLength promises more bytes than it sends, then closes', async () => {
    await withUpstream([{ kind: 'lyingLength' }], async (up, path, _digest, size) => {
      const res = await fetch(up.url + path);
      expect(Number(res.headers.get('content-length'))).toBeGreaterThan(size);
      await expect(res.arrayBuffer()).rejects.toThrow();
    });
  });

  it('wrongBytes sends the right length with a different SHA-1', async () => {
    await withUpstream([{ kind: 'wrongBytes' }], async (up, path, digest, size) => {
      const body = Buffer.from(await (await fetch(up.url + path)).arrayBuffer());
      expect(body.length).toBe(size);
      expect(sha1(body)).not.toBe(digest);
    });
  });

  it('stall pauses mid-body for `ms`, then completes', async () => {
    await withUpstream([{ kind: 'stall', ms: 600 }], async (up, path, digest) => {
      const started = Date.now();
      const body = Buffer.from(await (await fetch(up.url + path)).arrayBuffer());
      expect(Date.now() - started).toBeGreaterThanOrEqual(550);
      expect(sha1(body)).toBe(digest);
    });
  });

  it('trickle sends at about the given rate', async () => {
    await withUpstream([{ kind: 'trickle', bytesPerSecond: 40_000 }], async (up, path, digest, size) => {
      const started = Date.now();
      const body = Buffer.from(await (await fetch(up.url + path)).arrayBuffer());
      expect(Date.now() - started).toBeGreaterThanOrEqual((size / 40_000) * 1000 * 0.8);
      expect(sha1(body)).toBe(digest);
    });
  });

  it('truncatedCatalog serves a wsusscn2.cab shorter than its header says', async () => {
    await withUpstream([{ kind: 'truncatedCatalog', times: 1 }], async (up) => {
      const cut = Buffer.from(await (await fetch(up.url + WSUSSCN2_PATH)).arrayBuffer());
      expect(cut.subarray(0, 4).toString('latin1')).toBe('MSCF');
      expect(cut.length).toBeLessThan(cut.readUInt32LE(8));
      const whole = Buffer.from(await (await fetch(up.url + WSUSSCN2_PATH)).arrayBuffer());
      expect(whole.length).toBe(whole.readUInt32LE(8));
    });
  });

  const ok = requireTools('cabextract');
  it.skipIf(!ok)('malformedXml serves a valid cabinet whose package.xml is not well-formed', async () => {
    await withUpstream([{ kind: 'malformedXml' }], async (up) => {
      const tmp = makeTempDir();
      try {
        writeFileSync(join(tmp.dir, 'w.cab'), Buffer.from(await (await fetch(up.url + WSUSSCN2_PATH)).arrayBuffer()));
        execFileSync('cabextract', ['-q', '-d', tmp.dir, join(tmp.dir, 'w.cab')], { stdio: 'pipe' });
        execFileSync('cabextract', ['-q', '-d', tmp.dir, join(tmp.dir, 'package.cab')], { stdio: 'pipe' });
        const xml = readFileSync(join(tmp.dir, 'package.xml'), 'utf8');
        expect(() => new SaxesParser().write(xml).close()).toThrow();
      } finally {
        tmp.remove();
      }
    });
  });
});
