import { describe, expect, it } from 'vitest';
import { pipelineSchema } from '../../../src/config/pipeline-schema.ts';
import { diffSnapshots } from '../../../src/catalog/diff-snapshots.ts';
import { architecturesIn, selectForSubscriber, selectUpdates } from '../../../src/catalog/select-updates.ts';
import type { CatalogSnapshot, CatalogUpdate } from '../../../src/catalog/snapshot.ts';

const WIN10 = 'b3c75dc1-155f-4be4-b015-3f1a91758e52';
const SERVER = 'f702a48c-919b-45d6-9aef-ca4248d50397';
const SECURITY = '0fa1201d-4330-4fa8-8ae9-b877473b6441';
const DRIVERS = 'ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0';

function update(revisionId: number, over: Partial<CatalogUpdate> = {}): CatalogUpdate {
  const sha1 = revisionId.toString(16).padStart(40, '0');
  return {
    updateId: `00000000-0000-0000-0000-${String(revisionId).padStart(12, '0')}`,
    revisionId,
    revisionNumber: 1,
    kb: String(5000000 + revisionId),
    title: `Cumulative Update for Windows 10 Version 22H2 for x64-based Systems (KB${5000000 + revisionId})`,
    creationDate: '2025-11-11T00:00:00Z',
    productIds: [WIN10],
    products: ['Windows 10, version 1903 and later'],
    classificationIds: [SECURITY],
    classifications: ['Security Updates'],
    languages: [],
    superseded: false,
    supersededBy: [],
    files: [{ sha1, url: `http://download.windowsupdate.com/d/u-x64_${sha1}.msu`, name: `u-x64_${sha1}.msu` }],
    cves: [],
    source: 'wsusscn2',
    ...over,
  };
}

const snapshot = (bundles: CatalogUpdate[]): CatalogSnapshot => ({ packageId: 'p', creationDate: 'd', bundles, warnings: [] });
const pipeline = (over: Record<string, unknown> = {}) =>
  pipelineSchema.parse({ name: 'win10', title: 'Windows 10', products: [WIN10], architectures: ['x64'], ...over });

describe('architecturesIn()', () => {
  it('finds whole tokens only', () => {
    expect([...architecturesIn('for x64-based Systems')]).toEqual(['x64']);
    expect([...architecturesIn('windows10.0-kb5034441-arm64_abc.msu')]).toEqual(['arm64']);
    expect([...architecturesIn('Update for Office 2016 64-Bit Edition')]).toEqual([]);
    expect([...architecturesIn('foox64bar')]).toEqual([]);
  });
});

describe('selectUpdates()', () => {
  it('keeps matching updates and explains every decision', () => {
    const bundles = [
      update(1),
      update(2, { productIds: [SERVER], products: ['Windows Server 2019'] }),
      update(3, { title: 'Cumulative Update for Windows 10 Version 22H2 for ARM64-based Systems (KB5000003)' }),
      update(4, { classificationIds: [DRIVERS], classifications: ['Drivers'] }),
      update(5, { languages: ['de-de'] }),
    ];
    const { selected, decisions } = selectUpdates(snapshot(bundles), pipeline({ classifications: ['security updates'], languages: ['en-us'] }));
    expect(selected.map((u) => u.revisionId)).toEqual([1]);
    expect(decisions).toHaveLength(5);
    const reason = (rev: number) => decisions.find((d) => d.revisionId === rev)!.reason;
    expect(reason(2)).toMatch(/product "Windows Server 2019"/);
    expect(reason(3)).toMatch(/architecture arm64/);
    expect(reason(4)).toMatch(/classification "Drivers"/);
    expect(reason(5)).toMatch(/language de-de/);
  });

  it('matches products by name case-insensitively', () => {
    const { selected } = selectUpdates(snapshot([update(1)]), pipeline({ products: ['WINDOWS 10, VERSION 1903 AND LATER'] }));
    expect(selected).toHaveLength(1);
  });

  it('judges files by name when the title names no architecture', () => {
    const sha = (c: string) => c.repeat(40);
    const files = [
      { sha1: sha('a'), url: 'http://h/a', name: `w-x86_${sha('a')}.cab` },
      { sha1: sha('b'), url: 'http://h/b', name: `w-x64_${sha('b')}.cab` },
      { sha1: sha('c'), url: 'http://h/c', name: 'neutral.cab' },
    ];
    const { selected, decisions } = selectUpdates(snapshot([update(1, { title: 'Servicing Stack Update (KB5000001)', files })]), pipeline());
    expect(selected[0]!.files.map((f) => f.sha1)).toEqual([sha('b'), sha('c')]);
    expect(decisions[0]!.reason).toMatch(/1 file\(s\) for other architectures dropped/);
  });

  it('forces includeKbs past filters but not past supersedence', () => {
    const bundles = [
      update(1, { productIds: [SERVER], products: ['Windows Server 2019'] }),
      update(2, { superseded: true, supersededBy: [3] }),
      update(3),
    ];
    const { selected, decisions } = selectUpdates(snapshot(bundles), pipeline({ includeKbs: ['KB5000001', '5000002'] }));
    expect(selected.map((u) => u.revisionId)).toEqual([1, 3]);
    expect(decisions[0]!.reason).toMatch(/forced in by includeKbs although product/);
    expect(decisions[1]!.reason).toMatch(/superseded by KB5000003.*includeKbs does not revive/);
  });

  it('excludeKbs wins, and a bundle superseded only by excluded KBs stays', () => {
    const bundles = [update(1, { superseded: true, supersededBy: [2] }), update(2)];
    const { selected, decisions } = selectUpdates(snapshot(bundles), pipeline({ excludeKbs: ['5000002'], includeKbs: ['5000002'] }));
    expect(selected.map((u) => u.revisionId)).toEqual([1]);
    expect(decisions[1]!.reason).toMatch(/excludeKbs/);
    expect(decisions[0]!.reason).toMatch(/superseding updates are all in excludeKbs/);
  });

  it('keeps a file shared by a superseded and a current bundle through the current one', () => {
    const shared = update(1).files[0]!;
    const bundles = [update(1, { superseded: true, supersededBy: [2] }), update(2, { files: [shared, ...update(2).files] })];
    const { selected } = selectUpdates(snapshot(bundles), pipeline());
    expect(selected.flatMap((u) => u.files.map((f) => f.sha1))).toContain(shared.sha1);
    expect(selected.map((u) => u.revisionId)).toEqual([2]);
  });
});

describe('selectForSubscriber()', () => {
  const current = [update(1), update(2), update(3)];
  it('gives a new subscriber the full baseline', () => {
    expect(selectForSubscriber(current, [], 'delta').map((u) => u.revisionId)).toEqual([1, 2, 3]);
  });
  it('gives a subscriber what it has not received yet', () => {
    const received = [{ revisionId: 1, sha1s: current[0]!.files.map((f) => f.sha1) }];
    expect(selectForSubscriber(current, received, 'delta').map((u) => u.revisionId)).toEqual([2, 3]);
  });
  it('skips a new revision whose files were all shipped already', () => {
    const revised = update(9, { files: current[1]!.files });
    const received = [{ revisionId: 2, sha1s: current[1]!.files.map((f) => f.sha1) }];
    expect(selectForSubscriber([revised, current[2]!], received, 'delta').map((u) => u.revisionId)).toEqual([3]);
  });
  it('leaves out what was superseded while the subscriber missed discs', () => {
    // Week 1 shipped 1; 2 came and was superseded by 3 meanwhile, so the current selection is [1, 3].
    const selection = selectUpdates(snapshot([update(1), update(2, { superseded: true, supersededBy: [3] }), update(3)]), pipeline()).selected;
    const received = [{ revisionId: 1, sha1s: current[0]!.files.map((f) => f.sha1) }];
    expect(selectForSubscriber(selection, received, 'delta').map((u) => u.revisionId)).toEqual([3]);
  });
  it('full mode ignores what was received', () => {
    expect(selectForSubscriber(current, [{ revisionId: 1, sha1s: [] }], 'full')).toHaveLength(3);
  });
});

describe('diffSnapshots()', () => {
  it('reports added, revised, removed and newly superseded updates', () => {
    const prev = snapshot([update(1), update(2), update(3)]);
    const next = snapshot([
      update(1, { superseded: true, supersededBy: [4] }),
      { ...update(2), revisionId: 22, revisionNumber: 2 },
      update(4),
    ]);
    const diff = diffSnapshots(prev, next);
    expect(diff.added.map((u) => u.revisionId)).toEqual([4]);
    expect(diff.removed.map((u) => u.revisionId)).toEqual([3]);
    expect(diff.revised.map((r) => [r.previous.revisionId, r.next.revisionId])).toEqual([[2, 22]]);
    expect(diff.newlySuperseded.map((u) => u.revisionId)).toEqual([1]);
  });
});
