import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstream, WSUSSCN2_PATH, type Upstream } from '../../../src/upstream/start-upstream.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';

/** Parses XML with saxes (throws on any well-formedness error) and returns elements with attributes. */
function parseXml(text: string): { name: string; attributes: Record<string, string>; text: string }[] {
  const parser = new SaxesParser({ xmlns: false });
  const elements: { name: string; attributes: Record<string, string>; text: string }[] = [];
  const stack: { name: string; attributes: Record<string, string>; text: string }[] = [];
  parser.on('opentag', (tag) => {
    const e = { name: tag.name, attributes: { ...(tag.attributes as Record<string, string>) }, text: '' };
    elements.push(e);
    stack.push(e);
  });
  parser.on('text', (t) => {
    const top = stack.at(-1);
    if (top !== undefined) top.text += t;
  });
  parser.on('closetag', () => void stack.pop());
  parser.write(text).close();
  return elements;
}

const ok = requireTools('cabextract');

describe('startUpstream()', () => {
  let up: Upstream;
  beforeAll(async () => {
    up = await startUpstream({ week: 0, payloadScale: 0.05, seed: 3 });
  });
  afterAll(async () => {
    await up.close();
  });

  it.skipIf(!ok)('serves a wsusscn2.cab whose outer and nested cabinets extract and whose XML matches the model', async () => {
    const res = await fetch(up.url + WSUSSCN2_PATH);
    expect(res.status).toBe(200);
    const tmp = makeTempDir();
    try {
      const cabPath = join(tmp.dir, 'wsusscn2.cab');
      writeFileSync(cabPath, Buffer.from(await res.arrayBuffer()));
      execFileSync('cabextract', ['-q', '-d', join(tmp.dir, 'outer'), cabPath], { stdio: 'pipe' });
      const outer = readdirSync(join(tmp.dir, 'outer')).sort();
      expect(outer).toEqual(['index.xml', 'package.cab', 'package2.cab', 'package3.cab']);
      const index = parseXml(readFileSync(join(tmp.dir, 'outer', 'index.xml'), 'utf8')).filter((e) => e.name === 'CAB');
      expect(index.map((e) => e.attributes['NAME'])).toEqual(['package.cab', 'package2.cab', 'package3.cab']);
      expect(index[1]?.attributes['RANGESTART']).toBe('0');
      const range3 = Number(index[2]?.attributes['RANGESTART']);
      expect(range3).toBeGreaterThan(0);

      execFileSync('cabextract', ['-q', '-d', join(tmp.dir, 'pkg'), join(tmp.dir, 'outer', 'package.cab')], { stdio: 'pipe' });
      const packageXml = readFileSync(join(tmp.dir, 'pkg', 'package.xml'), 'utf8');
      const elements = parseXml(packageXml);
      const root = elements[0];
      expect(root?.name).toBe('OfflineSyncPackage');
      expect(root?.attributes['xmlns']).toBe('http://schemas.microsoft.com/msus/2004/02/OfflineSync');
      const model = up.model();
      expect(root?.attributes['PackageId']).toBe(model.packageId);
      const locations = elements.filter((e) => e.name === 'FileLocation');
      expect(locations).toHaveLength(model.files.length);
      for (const loc of locations) {
        const file = model.files.find((f) => f.sha1Base64 === loc.attributes['Id']);
        expect(loc.attributes['Url']).toBe(up.url + file?.urlPath);
      }
      const categories = elements.filter((e) => e.name === 'Update' && e.attributes['IsSoftware'] === 'false');
      expect(categories.map((e) => e.attributes['UpdateId'])).toContain('0fa1201d-4330-4fa8-8ae9-b877473b6441');
      expect(categories.every((e) => e.attributes['DeploymentAction'] === 'Evaluate')).toBe(true);
      expect(elements.filter((e) => e.name === 'SupersededBy').length).toBeGreaterThan(0);

      // Every detail fragment lies in the cabinet RANGESTART designates and parses once wrapped.
      for (const name of ['package2.cab', 'package3.cab']) {
        const dir = join(tmp.dir, name);
        execFileSync('cabextract', ['-q', '-d', dir, join(tmp.dir, 'outer', name)], { stdio: 'pipe' });
        const revs = readdirSync(join(dir, 'x')).map(Number);
        expect(revs.length).toBeGreaterThan(0);
        for (const rev of revs) expect(name === 'package3.cab' ? rev >= range3 : rev < range3).toBe(true);
        for (const rev of revs.slice(0, 20)) {
          parseXml(`<r>${readFileSync(join(dir, 'x', String(rev)), 'utf8')}</r>`);
          parseXml(`<r>${readFileSync(join(dir, 'c', String(rev)), 'utf8')}</r>`);
          parseXml(`<r>${readFileSync(join(dir, 'l', 'en', String(rev)), 'utf8')}</r>`);
        }
      }
      const cu = model.updates.find((u) => u.kind === 'cu' && u.supersededBy.length > 0);
      if (cu === undefined) throw new Error('model has no superseded cumulative update');
      const cabOf = cu.revisionId >= range3 ? 'package3.cab' : 'package2.cab';
      const x = parseXml(`<r>${readFileSync(join(tmp.dir, cabOf, 'x', String(cu.revisionId)), 'utf8')}</r>`);
      expect(x.find((e) => e.name === 'KBArticleID')?.text).toBe(cu.kb);
      expect(x.find((e) => e.name === 'ExtendedProperties')?.attributes['MsrcSeverity']).toBe('Critical');
      const child = cu.children[0];
      if (child === undefined) throw new Error('update has no child');
      const childCab = child.revisionId >= range3 ? 'package3.cab' : 'package2.cab';
      const cx = parseXml(`<r>${readFileSync(join(tmp.dir, childCab, 'x', String(child.revisionId)), 'utf8')}</r>`);
      expect(cx.find((e) => e.name === 'AdditionalDigest')?.text).toBe(child.file.sha256Base64);
    } finally {
      tmp.remove();
    }
  });

  it('answers If-None-Match and If-Modified-Since with 304 and HEAD without a body', async () => {
    const first = await fetch(up.url + WSUSSCN2_PATH);
    await first.arrayBuffer();
    const etag = first.headers.get('etag') ?? '';
    const lastModified = first.headers.get('last-modified') ?? '';
    expect(etag).toMatch(/^".+"$/);
    expect((await fetch(up.url + WSUSSCN2_PATH, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await fetch(up.url + WSUSSCN2_PATH, { headers: { 'if-modified-since': lastModified } })).status).toBe(304);
    expect((await fetch(up.url + WSUSSCN2_PATH, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
    const head = await fetch(up.url + WSUSSCN2_PATH, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(first.headers.get('content-length'));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('serves payloads whose SHA-1 matches the file name, with Range, If-Range and 416', async () => {
    const file = up.model().files[0];
    if (file === undefined) throw new Error('no files');
    const full = Buffer.from(await (await fetch(up.url + file.urlPath)).arrayBuffer());
    expect(full.length).toBe(file.size);
    expect(createHash('sha1').update(full).digest('hex')).toBe(file.sha1Hex);
    expect(file.fileName).toContain(file.sha1Hex);

    const from = Math.floor(file.size / 2) + 1;
    const part = await fetch(up.url + file.urlPath, { headers: { range: `bytes=${from}-` } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes ${from}-${file.size - 1}/${file.size}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(full.subarray(from))).toBe(true);

    const mid = await fetch(up.url + file.urlPath, { headers: { range: 'bytes=10-19', 'if-range': `"${file.sha1Hex}"` } });
    expect(mid.status).toBe(206);
    expect(Buffer.from(await mid.arrayBuffer()).equals(full.subarray(10, 20))).toBe(true);

    const changed = await fetch(up.url + file.urlPath, { headers: { range: 'bytes=10-19', 'if-range': '"stale"' } });
    expect(changed.status).toBe(200);
    expect((await changed.arrayBuffer()).byteLength).toBe(file.size);

    const beyond = await fetch(up.url + file.urlPath, { headers: { range: `bytes=${file.size}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${file.size}`);

    expect((await fetch(up.url + file.urlPath, { headers: { 'if-none-match': `"${file.sha1Hex}"` } })).status).toBe(304);
    expect((await fetch(up.url + file.urlPath.replace(file.sha1Hex, '0'.repeat(40)))).status).toBe(404);
  });

  it('advanceWeek() publishes week 1 with a new ETag, a new month in CVRF and a superseding update', async () => {
    const before = await fetch(up.url + WSUSSCN2_PATH);
    await before.arrayBuffer();
    up.setWeek(0);
    const week0 = up.model();
    up.advanceWeek();
    try {
      expect(up.week).toBe(1);
      const after = await fetch(up.url + WSUSSCN2_PATH, { headers: { 'if-none-match': before.headers.get('etag') ?? '' } });
      expect(after.status).toBe(200);
      await after.arrayBuffer();
      const week1 = up.model();
      const superseded = week1.updates.filter((u) => u.supersededBy.length > 0 && week0.updates.some((o) => o.revisionId === u.revisionId && o.supersededBy.length === 0));
      expect(superseded.length).toBeGreaterThan(0);
      const list = (await (await fetch(up.url + '/cvrf/v3.0/updates')).json()) as { value: { ID: string; CvrfUrl: string }[] };
      expect(list.value.map((v) => v.ID)).toEqual(['2026-Sep', '2026-Oct', '2026-Nov']);
      const xml = await (await fetch(list.value[2]?.CvrfUrl ?? '')).text();
      const elements = parseXml(xml);
      expect(elements[0]?.name).toBe('cvrf:cvrfdoc');
      const kbs = new Set(elements.filter((e) => e.name === 'vuln:Description' && /^\d+$/.test(e.text)).map((e) => e.text));
      const newCu = week1.updates.find((u) => u.kind === 'cu' && u.month.cvrfId === '2026-Nov');
      expect(kbs.has(newCu?.kb ?? '')).toBe(true);
      expect((await fetch(up.url + '/cvrf/v3.0/cvrf/2026-Dec')).status).toBe(404);
    } finally {
      up.setWeek(0);
    }
  });

  it('answers Search.aspx and DownloadDialog.aspx in the catalog site shapes', async () => {
    const update = up.model().updates.find((u) => u.kind === 'cu');
    if (update === undefined) throw new Error('no cumulative update');
    const html = await (await fetch(`${up.url}/Search.aspx?q=KB${update.kb}`)).text();
    expect(html).toContain('id="ctl00_catalogBody_updateMatches"');
    expect(html).toContain(`id="${update.updateId}_R`);
    expect(html).toContain(`<span class="noDisplay" id="${update.updateId}_originalSize">${update.files[0]?.size}</span>`);
    expect(await (await fetch(`${up.url}/Search.aspx?q=KB1`)).text()).toContain('ctl00_catalogBody_noResultText');

    const body = new URLSearchParams({ updateIDs: JSON.stringify([{ size: 0, updateID: update.updateId, uidInfo: update.updateId }]) });
    const dialog = await (await fetch(`${up.url}/DownloadDialog.aspx`, { method: 'POST', body })).text();
    const file = update.files[0];
    expect(dialog).toContain(`downloadInformation[0].updateID ='${update.updateId}';`);
    expect(dialog).toContain(`downloadInformation[0].files[0].url = '${up.url}${file?.urlPath}';`);
    expect(dialog).toContain(`downloadInformation[0].files[0].digest = '${file?.sha1Base64}';`);
  });

  it('logs requests with method, path, status and request headers', () => {
    const logged = up.requests.find((r) => r.status === 304);
    expect(logged?.method).toBe('GET');
    expect(logged?.headers['if-none-match'] ?? logged?.headers['if-modified-since']).toBeDefined();
  });
});
