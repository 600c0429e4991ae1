import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWsusscn2 } from '../../../src/catalog/read-wsusscn2.ts';
import { appConfigSchema } from '../../../src/config/app-config-schema.ts';
import { pipelineSchema } from '../../../src/config/pipeline-schema.ts';
import type { BuildContext } from '../../../src/pipeline/build-context.ts';
import { addUpdateCatalogExtras, missingIncludedKbs, syntheticRevisionId } from '../../../src/pipeline/update-catalog-extras.ts';
import { startUpstream, WSUSSCN2_PATH, type Upstream } from '../../../src/upstream/start-upstream.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { writeFile } from 'node:fs/promises';

describe('addUpdateCatalogExtras()', () => {
  let up: Upstream;
  const tmp = makeTempDir();
  beforeAll(async () => {
    up = await startUpstream({ port: 0, week: 1 });
  });
  afterAll(async () => {
    await up.close();
    tmp.remove();
  });

  it('finds an included KB that wsusscn2 lacks on the Update Catalog, with its files and SHA-1s, for the pipeline architectures only', async () => {
    const cab = join(tmp.dir, 'wsusscn2.cab');
    await writeFile(cab, Buffer.from(await (await fetch(`${up.url}${WSUSSCN2_PATH}`)).arrayBuffer()));
    const full = await readWsusscn2(cab);
    // A multi-architecture KB, removed from the snapshot as if wsusscn2 did not carry it.
    const target = up.model().updates.find((u) => u.arch === 'x64' && up.model().updates.some((v) => v.kb === u.kb && v.arch !== 'x64'))!;
    const snapshot = { ...full, bundles: full.bundles.filter((b) => b.kb !== target.kb) };
    const pipeline = pipelineSchema.parse({ name: 'p', title: 'p', products: ['Windows 11'], architectures: ['x64'], includeKbs: [`KB${target.kb}`] });
    expect([...missingIncludedKbs(snapshot, [pipeline]).keys()]).toEqual([target.kb]);

    const logs: string[] = [];
    const ctx = {
      dataDir: tmp.dir,
      config: appConfigSchema.parse({ upstream: { updateCatalogUrl: up.url } }),
      pipelines: [pipeline],
      now: () => new Date(),
      events: { log: (_l: string, m: string) => logs.push(m) },
      passphrase: undefined,
    } as unknown as BuildContext;
    const out = await addUpdateCatalogExtras(ctx, snapshot);
    const extras = out.bundles.filter((b) => b.source === 'update-catalog');
    expect(extras.length).toBeGreaterThan(0);
    const truth = new Map(up.model().files.map((f) => [f.sha1Hex, f]));
    for (const e of extras) {
      expect(e.kb).toBe(target.kb);
      expect(e.title).not.toMatch(/x86|arm64/i);
      expect(e.revisionId).toBe(syntheticRevisionId(e.updateId));
      expect(e.revisionId).toBeLessThan(0);
      for (const f of e.files) {
        expect(truth.has(f.sha1), f.url).toBe(true);
        expect(f.url).toContain(f.sha1);
      }
    }
    expect(logs).toEqual([]);
  });

  it('warns, without failing, for a KB the catalog does not know', async () => {
    const pipeline = pipelineSchema.parse({ name: 'p', title: 'p', products: ['x'], includeKbs: ['KB1234567'] });
    const logs: string[] = [];
    const ctx = {
      config: appConfigSchema.parse({ upstream: { updateCatalogUrl: up.url } }),
      pipelines: [pipeline],
      events: { log: (_l: string, m: string) => logs.push(m) },
    } as unknown as BuildContext;
    const out = await addUpdateCatalogExtras(ctx, { packageId: 'p', creationDate: 'c', bundles: [], warnings: [] });
    expect(out.bundles).toEqual([]);
    expect(logs.join('\n')).toMatch(/KB1234567/);
  });
});
