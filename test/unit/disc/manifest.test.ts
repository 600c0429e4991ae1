import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildManifest, parseManifest } from '../../../src/disc/manifest.ts';
import type { ManifestInput } from '../../../src/disc/manifest.ts';

const KEY = 'b'.repeat(64);

function input(overrides: Partial<ManifestInput> = {}): ManifestInput {
  return {
    vendor: 'Example',
    subscriberId: 'ACME-01',
    sequence: 3,
    disc: 1,
    discs: 2,
    created: '2026-10-12T08:00:00Z',
    expires: '2026-11-16T08:00:00Z',
    signingKeySha256: KEY,
    previousManifestSha256: null,
    pipeline: 'demo',
    week: '2026-W42',
    quietWeek: false,
    files: [
      { path: 'updates/w/KB5000002/b.msu', size: 2, sha256: '2'.repeat(64), product: 'Windows', kb: 'KB5000002' },
      { path: 'updates/w/KB5000001/a.msu', size: 1, sha256: '1'.repeat(64), cves: ['CVE-2026-0001'], title: '更新' },
    ],
    ...overrides,
  };
}

describe('buildManifest()', () => {
  it('writes canonical bytes: fixed key order, 2-space indent, files sorted by path, trailing LF', () => {
    const text = buildManifest(input()).toString('utf8');
    expect(text).toBe(
      `{
  "format": "patchdisc-manifest/1",
  "vendor": "Example",
  "subscriberId": "ACME-01",
  "sequence": 3,
  "disc": 1,
  "discs": 2,
  "created": "2026-10-12T08:00:00Z",
  "expires": "2026-11-16T08:00:00Z",
  "signingKeySha256": "${KEY}",
  "previousManifestSha256": null,
  "pipeline": "demo",
  "week": "2026-W42",
  "quietWeek": false,
  "files": [
    {
      "path": "updates/w/KB5000001/a.msu",
      "size": 1,
      "sha256": "${'1'.repeat(64)}",
      "title": "更新",
      "cves": [
        "CVE-2026-0001"
      ]
    },
    {
      "path": "updates/w/KB5000002/b.msu",
      "size": 2,
      "sha256": "${'2'.repeat(64)}",
      "kb": "KB5000002",
      "product": "Windows"
    }
  ]
}
`,
    );
  });

  it('gives the same bytes whatever the key order of the input objects', () => {
    const a = input();
    const shuffled = Object.fromEntries(Object.entries(a).reverse()) as unknown as ManifestInput;
    shuffled.files = a.files.map((f) => Object.fromEntries(Object.entries(f).reverse()) as unknown as ManifestInput['files'][number]).reverse();
    expect(buildManifest(shuffled).equals(buildManifest(a))).toBe(true);
  });

  it('round-trips through parseManifest()', () => {
    const withOrder = input({ installOrder: ['updates/w/KB5000002/b.msu', 'updates/w/KB5000001/a.msu'] });
    const parsed = parseManifest(buildManifest(withOrder));
    expect(parsed.installOrder).toEqual(withOrder.installOrder);
    expect(parsed.files.map((f) => f.path)).toEqual(['updates/w/KB5000001/a.msu', 'updates/w/KB5000002/b.msu']);
    const { format, ...rest } = parsed;
    expect(format).toBe('patchdisc-manifest/1');
    expect(buildManifest(rest).equals(buildManifest(withOrder))).toBe(true);
  });

  it.each([
    ['disc above discs', { disc: 3, discs: 2 }],
    ['expires not after created', { expires: '2026-10-12T08:00:00Z' }],
    ['bad week', { week: '2026-42' }],
    ['a time with an offset instead of UTC', { expires: '2026-11-16T16:00:00+08:00' }],
    ['bad key hash', { signingKeySha256: 'B'.repeat(64) }],
    ['zero sequence', { sequence: 0 }],
    ['fractional sequence', { sequence: 1.5 }],
    ['subscriber with a slash', { subscriberId: 'a/b' }],
    ['path escaping the disc', { files: [{ path: 'updates/../../etc/passwd', size: 1, sha256: '1'.repeat(64) }] }],
    ['absolute path', { files: [{ path: '/etc/passwd', size: 1, sha256: '1'.repeat(64) }] }],
    ['backslash path', { files: [{ path: 'updates\\a.msu', size: 1, sha256: '1'.repeat(64) }] }],
    ['newline in path', { files: [{ path: 'updates/a\n.msu', size: 1, sha256: '1'.repeat(64) }] }],
    ['negative size', { files: [{ path: 'a', size: -1, sha256: '1'.repeat(64) }] }],
    [
      'paths equal ignoring case',
      { files: [{ path: 'updates/A.msu', size: 1, sha256: '1'.repeat(64) }, { path: 'updates/a.msu', size: 1, sha256: '1'.repeat(64) }] },
    ],
  ] as [string, Partial<ManifestInput>][])('refuses %s with VALIDATION', (_name, overrides) => {
    expect(() => buildManifest(input(overrides))).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});

describe('parseManifest()', () => {
  const good = buildManifest(input());

  it.each([
    ['not JSON', Buffer.from('{"format":')],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d])],
    ['another format', Buffer.from(good.toString().replace('patchdisc-manifest/1', 'patchdisc-manifest/2'))],
    ['an unknown field', Buffer.from(good.toString().replace('"vendor"', '"extra": 1,\n  "vendor"'))],
    ['a missing field', Buffer.from(good.toString().replace('  "pipeline": "demo",\n', ''))],
    ['a string where a number belongs', Buffer.from(good.toString().replace('"sequence": 3', '"sequence": "3"'))],
    ['an array at the root', Buffer.from('[]')],
  ])('rejects %s with VERIFY_FAILED', (_name, bytes) => {
    expect(() => parseManifest(bytes)).toThrow(expect.objectContaining({ code: 'VERIFY_FAILED' }));
  });
});

// A minimal JSON Schema (2020-12) evaluator for the keywords manifest.schema.json uses, so that the
// schema file itself is checked against what buildManifest() produces and what it must refuse.
type Schema = Record<string, unknown>;
function validate(schema: Schema, value: unknown, root: Schema, at = '$'): string[] {
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const name = ref.replace('#/$defs/', '');
    return validate((root['$defs'] as Record<string, Schema>)[name] as Schema, value, root, at);
  }
  const errors: string[] = [];
  if ('const' in schema && value !== schema['const']) errors.push(`${at}: const`);
  const type = schema['type'];
  const typeOf = (v: unknown): string =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  if (typeof type === 'string') {
    const actual = typeOf(value);
    if (!(actual === type || (type === 'number' && actual === 'integer'))) return [`${at}: type ${actual} is not ${type}`];
  }
  if (Array.isArray(schema['oneOf'])) {
    const passing = (schema['oneOf'] as Schema[]).filter((s) => validate(s, value, root, at).length === 0).length;
    if (passing !== 1) errors.push(`${at}: oneOf matched ${passing}`);
  }
  if (typeof value === 'string') {
    if (typeof schema['minLength'] === 'number' && [...value].length < schema['minLength']) errors.push(`${at}: minLength`);
    if (typeof schema['maxLength'] === 'number' && [...value].length > schema['maxLength']) errors.push(`${at}: maxLength`);
    if (typeof schema['pattern'] === 'string' && !new RegExp(schema['pattern'], 'u').test(value)) errors.push(`${at}: pattern`);
  }
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum']) errors.push(`${at}: minimum`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum']) errors.push(`${at}: maximum`);
  }
  if (Array.isArray(value) && schema['items'] !== undefined) {
    value.forEach((item, i) => errors.push(...validate(schema['items'] as Schema, item, root, `${at}[${i}]`)));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const req of (schema['required'] ?? []) as string[]) if (!(req in obj)) errors.push(`${at}: missing ${req}`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = props[k];
      if (sub !== undefined) errors.push(...validate(sub, v, root, `${at}.${k}`));
      else if (schema['additionalProperties'] === false) errors.push(`${at}: unexpected ${k}`);
    }
  }
  return errors;
}

describe('manifests/manifest.schema.json', () => {
  const schema = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../manifests/manifest.schema.json'), 'utf8')) as Schema;

  it('is a draft 2020-12 schema requiring every top-level field buildManifest() always writes', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    const always = Object.keys(JSON.parse(buildManifest(input()).toString()) as object);
    expect([...(schema['required'] as string[])].sort()).toEqual([...always].sort());
  });

  it('accepts manifests produced by buildManifest(), with and without optional fields', () => {
    const full = input({
      installOrder: ['updates/w/KB5000001/a.msu'],
      previousManifestSha256: 'c'.repeat(64),
      files: [
        {
          path: 'updates/windows-10/KB5031356/windows10.0-kb5031356-x64.msu',
          size: 123,
          sha256: 'd'.repeat(64),
          kb: 'KB5031356',
          title: '2026-10 累积更新',
          sourceUrl: 'https://catalog.s.download.windowsupdate.com/x.msu',
          msSha1: 'e'.repeat(40),
          classification: 'Security Updates',
          severity: 'Critical',
          cves: ['CVE-2026-12345'],
          product: 'Windows 10',
        },
      ],
    });
    for (const m of [input(), full, input({ files: [], quietWeek: true })]) {
      expect(validate(schema, JSON.parse(buildManifest(m).toString()), schema)).toEqual([]);
    }
  });

  it('rejects what parseManifest() rejects', () => {
    const good = JSON.parse(buildManifest(input()).toString()) as Record<string, unknown>;
    const bad: Record<string, unknown>[] = [
      { ...good, format: 'patchdisc-manifest/2' },
      { ...good, extra: 1 },
      { ...good, sequence: '3' },
      { ...good, week: '2026-W60' },
      { ...good, created: '2026-10-12T16:00:00+08:00' },
      { ...good, files: [{ path: 'a/../b', size: 1, sha256: '1'.repeat(64) }] },
      { ...good, files: [{ path: 'a/b.', size: 1, sha256: '1'.repeat(64) }] },
      { ...good, files: [{ path: 'a', size: 1, sha256: '1'.repeat(64), md5: 'x' }] },
    ];
    for (const b of bad) {
      expect(() => parseManifest(Buffer.from(JSON.stringify(b)))).toThrow();
      expect(validate(schema, b, schema).length).toBeGreaterThan(0);
    }
    const withoutPipeline = { ...good };
    delete withoutPipeline['pipeline'];
    expect(validate(schema, withoutPipeline, schema)).toEqual(['$: missing pipeline']);
  });
});
