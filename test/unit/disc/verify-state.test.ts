import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadVerifyState, recordAcceptedDisc, saveVerifyState, subscriberState } from '../../../src/disc/verify-state.ts';
import { makeTempDir } from '../../helpers/tools.ts';

const NOW = new Date('2026-10-12T08:00:00Z');

describe('verify state', () => {
  it('loadVerifyState() returns an empty state when the file does not exist', async () => {
    const tmp = makeTempDir();
    try {
      expect(await loadVerifyState(join(tmp.dir, 'state.json'))).toEqual({ subscribers: {} });
    } finally {
      tmp.remove();
    }
  });

  it('round-trips through saveVerifyState() and leaves no temp file behind', async () => {
    const tmp = makeTempDir();
    try {
      const path = join(tmp.dir, 'sub', 'state.json');
      const state = recordAcceptedDisc({ subscribers: {} }, { subscriberId: 'ACME-01', sequence: 7, manifestSha256: 'a'.repeat(64), now: NOW });
      await saveVerifyState(path, state);
      const next = recordAcceptedDisc(await loadVerifyState(path), { subscriberId: 'ACME-01', sequence: 8, manifestSha256: 'b'.repeat(64), now: NOW });
      await saveVerifyState(path, next);
      expect(readdirSync(join(tmp.dir, 'sub'))).toEqual(['state.json']);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({
        subscribers: { 'ACME-01': { lastSequence: 8, lastManifestSha256: 'b'.repeat(64), acceptedAt: '2026-10-12T08:00:00.000Z' } },
      });
      expect(subscriberState(await loadVerifyState(path), 'ACME-01')).toEqual({ lastSequence: 8, lastManifestSha256: 'b'.repeat(64) });
      expect(subscriberState(await loadVerifyState(path), 'OTHER')).toEqual({});
      expect(subscriberState(await loadVerifyState(path), 'constructor')).toEqual({});
    } finally {
      tmp.remove();
    }
  });

  it('recordAcceptedDisc() never lowers the sequence', () => {
    const state = recordAcceptedDisc({ subscribers: {} }, { subscriberId: 'A', sequence: 7, manifestSha256: 'a'.repeat(64), now: NOW });
    expect(() => recordAcceptedDisc(state, { subscriberId: 'A', sequence: 6, manifestSha256: 'b'.repeat(64), now: NOW })).toThrow(
      expect.objectContaining({ code: 'VERIFY_FAILED' }),
    );
    expect(recordAcceptedDisc(state, { subscriberId: 'A', sequence: 7, manifestSha256: 'b'.repeat(64), now: NOW }).subscribers['A']?.lastSequence).toBe(7);
  });

  it('loadVerifyState() rejects a corrupt or malformed file with VALIDATION', async () => {
    const tmp = makeTempDir();
    try {
      const path = join(tmp.dir, 'state.json');
      writeFileSync(path, '{"subscribers":');
      await expect(loadVerifyState(path)).rejects.toMatchObject({ code: 'VALIDATION' });
      writeFileSync(path, JSON.stringify({ subscribers: { A: { lastSequence: -1, lastManifestSha256: 'x', acceptedAt: 'now' } } }));
      await expect(loadVerifyState(path)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('subscribers.A') });
    } finally {
      tmp.remove();
    }
  });
});
