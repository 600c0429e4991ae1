import { describe, expect, it } from 'vitest';
import type { CatalogSnapshot } from '../../../src/catalog/snapshot.ts';
import { isPatchdiscError } from '../../../src/errors.ts';
import {
  completeStage,
  finishBuild,
  getStageOutput,
  lastBuildPerPipeline,
  listBuilds,
  setBuildSnapshot,
  startBuild,
} from '../../../src/ledger/builds.ts';
import { getSnapshot, latestSnapshot, saveSnapshot } from '../../../src/ledger/catalog-snapshots.ts';
import { getFile, recordFile } from '../../../src/ledger/files.ts';
import { NOW, withLedger } from './ledger-fixture.ts';

const later = new Date('2025-01-15T09:00:00Z');

describe('startBuild()', () => {
  it('creates once, then returns the same build; a failed build is set back to running', async () => {
    await withLedger(async (ledger) => {
      const a = await startBuild(ledger, { pipeline: 'win11', week: '2025-W03', now: NOW });
      expect(a).toEqual({ id: a.id, status: 'running', created: true });
      const b = await startBuild(ledger, { pipeline: 'win11', week: '2025-W03', now: later });
      expect(b).toEqual({ id: a.id, status: 'running', created: false });
      await finishBuild(ledger, a.id, { status: 'failed', error: 'disk full', now: later });
      expect((await listBuilds(ledger))[0]).toMatchObject({ status: 'failed', error: 'disk full' });
      const c = await startBuild(ledger, { pipeline: 'win11', week: '2025-W03', now: later });
      expect(c).toEqual({ id: a.id, status: 'running', created: false });
      expect((await listBuilds(ledger))[0]).toMatchObject({ status: 'running', error: null, finishedAt: null, startedAt: NOW.toISOString() });
      await finishBuild(ledger, a.id, { status: 'done', now: later });
      expect(await startBuild(ledger, { pipeline: 'win11', week: '2025-W03', now: later })).toEqual({ id: a.id, status: 'done', created: false });
      expect(ledger.sqlite.prepare('SELECT count(*) FROM builds').pluck().get()).toBe(1);
    });
  });
});

describe('stage outputs', () => {
  it('returns an output only once the stage is done and keeps the latest on upsert', async () => {
    await withLedger(async (ledger) => {
      const { id } = await startBuild(ledger, { pipeline: 'win11', week: '2025-W03', now: NOW });
      expect(await getStageOutput(ledger, id, 'select')).toBeUndefined();
      await completeStage(ledger, id, 'select', { revisions: [1, 2] }, NOW);
      await completeStage(ledger, id, 'select', { revisions: [3] }, later);
      expect(await getStageOutput<{ revisions: number[] }>(ledger, id, 'select')).toEqual({ revisions: [3] });
      ledger.sqlite.prepare("UPDATE build_stages SET status = 'running' WHERE stage = 'select'").run();
      expect(await getStageOutput(ledger, id, 'select')).toBeUndefined();
      expect(ledger.sqlite.prepare('SELECT count(*) FROM build_stages').pluck().get()).toBe(1);
    });
  });

  it('reports NOT_FOUND for a build that does not exist', async () => {
    await withLedger(async (ledger) => {
      const err = await completeStage(ledger, 42, 'sync', {}, NOW).catch((e: unknown) => e);
      expect(isPatchdiscError(err, 'NOT_FOUND')).toBe(true);
      const err2 = await finishBuild(ledger, 42, { status: 'done', now: NOW }).catch((e: unknown) => e);
      expect(isPatchdiscError(err2, 'NOT_FOUND')).toBe(true);
    });
  });
});

describe('listBuilds() and lastBuildPerPipeline()', () => {
  it('lists newest first and picks the latest week of each pipeline', async () => {
    await withLedger(async (ledger) => {
      await startBuild(ledger, { pipeline: 'win11', week: '2025-W02', now: NOW });
      const w3 = await startBuild(ledger, { pipeline: 'win11', week: '2025-W03', now: NOW });
      const s = await startBuild(ledger, { pipeline: 'server', week: '2025-W01', now: NOW });
      expect((await listBuilds(ledger)).map((b) => `${b.pipeline} ${b.week}`)).toEqual(['win11 2025-W03', 'win11 2025-W02', 'server 2025-W01']);
      expect((await listBuilds(ledger, { pipeline: 'win11', limit: 1 })).map((b) => b.id)).toEqual([w3.id]);
      expect((await lastBuildPerPipeline(ledger)).map((b) => b.id)).toEqual([s.id, w3.id]);
    });
  });
});

describe('catalog snapshots and files', () => {
  const snapshot: CatalogSnapshot = { packageId: 'pkg-1', creationDate: '2025-01-14T00:00:00Z', bundles: [], warnings: ['w'] };

  it('stores snapshots, returns the latest with its validators, and links one to a build', async () => {
    await withLedger(async (ledger) => {
      expect(await latestSnapshot(ledger)).toBeUndefined();
      const base = { source: 'wsusscn2', packageId: 'pkg-1', creationDate: snapshot.creationDate, lastModified: null, cabSha256: 'f'.repeat(64), now: NOW };
      const first = await saveSnapshot(ledger, { ...base, etag: '"a"', snapshot });
      const second = await saveSnapshot(ledger, { ...base, etag: '"b"', snapshot: { ...snapshot, packageId: 'pkg-2' } });
      expect(await latestSnapshot(ledger)).toMatchObject({ id: second, etag: '"b"', snapshot: { packageId: 'pkg-2' } });
      expect((await getSnapshot(ledger, first))?.snapshot).toEqual(snapshot);
      expect(await getSnapshot(ledger, 999)).toBeUndefined();
      const { id } = await startBuild(ledger, { pipeline: 'win11', week: '2025-W03', now: NOW });
      await setBuildSnapshot(ledger, id, first);
      expect((await listBuilds(ledger))[0]?.snapshotId).toBe(first);
    });
  });

  it('upserts a file record by sha1', async () => {
    await withLedger(async (ledger) => {
      await recordFile(ledger, { sha1: 'a'.repeat(40), sha256: '1'.repeat(64), size: 10, url: 'http://x/a', fetchedAt: NOW });
      await recordFile(ledger, { sha1: 'a'.repeat(40), sha256: '1'.repeat(64), size: 10, url: 'http://y/a', fetchedAt: later });
      expect(await getFile(ledger, 'a'.repeat(40))).toEqual({ sha1: 'a'.repeat(40), sha256: '1'.repeat(64), size: 10, url: 'http://y/a', fetchedAt: later.toISOString() });
      expect(ledger.sqlite.prepare('SELECT count(*) FROM files').pluck().get()).toBe(1);
    });
  });
});
