import { createHash } from 'node:crypto';
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { compactLocation, sha1HexFromBase64Bytes } from '../../../src/catalog/compact-location.ts';
import { checkFileLocation } from '../../../src/catalog/file-location.ts';
import { Utf8Validator } from '../../../src/catalog/utf8-validator.ts';
import { SharedStrings } from '../../../src/catalog/xml-name-table.ts';
import { XmlTagScanner } from '../../../src/catalog/xml-tag-scanner.ts';
import { isPatchdiscError } from '../../../src/errors.ts';

const ATTRS = ['a', 'b', 'Id', 'Url'];

/** Events of our scanner: `+qname{uri}[a=..,b=..]` and `-qname`, or the error. */
function scan(chunks: Buffer[]): string[] | { error: unknown } {
  const events: string[] = [];
  const scanner: XmlTagScanner = new XmlTagScanner({
    knownNames: ATTRS,
    label: 'test.xml',
    onOpen: (name, uri) => events.push(`+${name.qname}{${uri}}[${ATTRS.map((a, i) => `${a}=${scanner.attribute(i) ?? ''}`).join(',')}]`),
    onClose: (name) => events.push(`-${name.qname}`),
  });
  try {
    for (const chunk of chunks) scanner.write(chunk);
    scanner.end();
    return events;
  } catch (error) {
    return { error };
  }
}

/** The same events from saxes (namespaces on), the independent reference. */
function saxes(text: string): string[] | { error: unknown } {
  const events: string[] = [];
  const parser = new SaxesParser({ xmlns: true });
  parser.on('opentag', (tag) => events.push(`+${tag.name}{${tag.uri}}[${ATTRS.map((a) => `${a}=${tag.attributes[a]?.value ?? ''}`).join(',')}]`));
  parser.on('closetag', (tag) => events.push(`-${tag.name}`));
  parser.on('doctype', () => {
    throw new Error('doctype');
  });
  try {
    parser.write(text).close();
    return events;
  } catch (error) {
    return { error };
  }
}

const WELL_FORMED = [
  '<r/>',
  '<?xml version="1.0" encoding="utf-8"?>\n<r a="1" b=\'2\'><c/><!-- note --><d a="x&amp;y&#65;&#x42;&lt;"/></r>\n',
  '\uFEFF<r xmlns="urn:x"><p:e xmlns:p="urn:p" p:a="1" a="2"/><e xmlns=""/></r>',
  '<r a="tab\there&#10;line"><![CDATA[ <not a tag> & ]]>text &gt; more</r>',
  '<r><ü a="é€𝄞"/></r>',
  '<r   a = "1"\n b="2" ></r >',
  '<?pi some data?><r><?other x?></r><!-- after -->  ',
];

const MALFORMED = [
  '',
  '<r>',
  '<r></s>',
  '<r a=1/>',
  '<r a="1" a="2"/>',
  '<r a="<"/>',
  '<r a="&boom;"/>',
  '<r>&boom;</r>',
  '<r a="x"b="y"/>',
  '<r/><r/>',
  'text<r/>',
  '<r/>text',
  '<r><!-- a -- b --></r>',
  '<r>]]></r>',
  '<r><p:e/></r>',
  '<!DOCTYPE r [<!ENTITY boom "x">]><r>&boom;</r>',
  '<r/><?xml version="1.0"?>',
  '<r a="&#0;"/>',
  '<r>\u0001</r>',
  '<r><![CDATA[ x </r>',
  '</r>',
  '<r x:y:z="1"/>',
];

describe('XmlTagScanner', () => {
  it.each(WELL_FORMED)('reports the same tags and attributes as saxes for %j', (text) => {
    const ours = scan([Buffer.from(text)]);
    expect(ours).toEqual(saxes(text));
  });

  it.each(MALFORMED)('refuses %j as XML_INVALID, as saxes refuses it', (text) => {
    expect(saxes(text)).toHaveProperty('error');
    const ours = scan([Buffer.from(text)]);
    expect(ours).toHaveProperty('error');
    expect(isPatchdiscError((ours as { error: unknown }).error, 'XML_INVALID')).toBe(true);
  });

  it('gives the same events however the bytes are split into chunks', () => {
    const bytes = Buffer.from(WELL_FORMED.slice(1, 5).map((d) => d.replace(/^\uFEFF?(<\?xml[^>]*>)?/, '')).join('').replace(/^/, '<top>') + '</top>');
    const whole = scan([bytes]);
    expect(Array.isArray(whole)).toBe(true);
    for (let cut = 1; cut < bytes.length; cut += 1) {
      expect(scan([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(whole);
    }
    expect(scan([...bytes].map((b) => Buffer.from([b])))).toEqual(whole);
  });

  it('points errors at their byte offset, counting multi-byte characters as bytes', () => {
    const head = '<r><é a="1"/>';
    const result = scan([Buffer.from(`${head}<x a="<"/></r>`)]);
    const err = (result as { error: { details: Record<string, unknown> } }).error;
    expect(err.details['byteOffset']).toBe(Buffer.byteLength(head) + '<x a="'.length);
  });

  it('refuses bytes that are not UTF-8 at their offset', () => {
    const bytes = Buffer.concat([Buffer.from('<r a="'), Buffer.from([0xc3]), Buffer.from('"/>')]);
    const err = (scan([bytes]) as { error: { details: Record<string, unknown> } }).error;
    expect(isPatchdiscError(err, 'XML_INVALID')).toBe(true);
    expect(err.details['byteOffset']).toBe(6);
  });

  it('refuses an attribute longer than its token limit instead of buffering it', () => {
    const err = (scan([Buffer.from('<r a="'), Buffer.alloc(2 << 20, 0x61)]) as { error: Error }).error;
    expect(err.message).toMatch(/longer than/);
  });
});

describe('Utf8Validator', () => {
  it('accepts a sequence split across chunks and refuses one cut by the end', () => {
    const v = new Utf8Validator();
    const bytes = Buffer.from('a𝄞b');
    expect(v.push(bytes.subarray(0, 2))).toBe(-1);
    expect(v.push(bytes.subarray(2, 4))).toBe(-1);
    expect(v.push(bytes.subarray(4))).toBe(-1);
    expect(v.end()).toBe(-1);
    const cut = new Utf8Validator();
    expect(cut.push(bytes.subarray(0, 3))).toBe(-1);
    expect(cut.end()).toBe(1);
  });

  it('refuses an overlong form and a surrogate', () => {
    expect(new Utf8Validator().push(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1);
    expect(new Utf8Validator().push(Buffer.from([0x61, 0x62, 0xed, 0xa0, 0x80]))).toBe(2);
  });
});

describe('compactLocation() and sha1HexFromBase64Bytes()', () => {
  const sha1 = createHash('sha1').update('x').digest('hex');
  const id = Buffer.from(sha1, 'hex').toString('base64');

  it('decodes a base64 SHA-1 like Buffer does, and leaves other forms to the general path', () => {
    const bytes = Buffer.from(`xx${id}yy`);
    expect(sha1HexFromBase64Bytes(bytes, 2, 2 + id.length)).toBe(sha1);
    expect(sha1HexFromBase64Bytes(Buffer.from(` ${id}`), 0, id.length + 1)).toBeUndefined();
    expect(sha1HexFromBase64Bytes(Buffer.from(`${id.slice(0, 26)}!=`), 0, id.length)).toBeUndefined();
  });

  it.each([
    [`http://h/d/windows10.0-kb1-x64_${sha1}.cab`, true],
    [`http://h/d/windows10.0-kb1-x64_${sha1.toUpperCase()}.cab`, true],
    ['http://h/d/plain.cab', true],
    [`http://h/d/kb1-x64_${'0'.repeat(40)}.cab`, false],
    ['http://h/d/a%2Fb.cab', false],
    ['http://h/d/a.cab?x=1', false],
    ['http://h/d/a..cab', false],
    ['http://h/d/', false],
  ])('takes %s the compact way: %s, agreeing with checkFileLocation', (url, compact) => {
    const bytes = Buffer.from(url);
    const location = compactLocation(sha1, bytes, 0, bytes.length, new SharedStrings());
    expect(location !== undefined).toBe(compact);
    if (location !== undefined) {
      expect({ sha1: location.sha1, url: location.url, name: location.name }).toEqual(checkFileLocation(id, url));
    }
  });
});
