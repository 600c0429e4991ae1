import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { pipelineSchema } from '../../../src/config/pipeline-schema.ts';

const PIPELINES = resolve(import.meta.dirname, '../../../pipelines');
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(['windows-10-22h2-x64', 'windows-11-24h2-x64', 'windows-server-2019', 'windows-server-2022'])('pipelines/%s.yaml', (name) => {
  const text = readFileSync(join(PIPELINES, `${name}.yaml`), 'utf8');
  it('is a valid pipeline named after its file', () => {
    const pipeline = pipelineSchema.parse(parse(text));
    expect(pipeline.name).toBe(name);
    expect(pipeline.products.some((p) => GUID.test(p))).toBe(true);
  });
  it('says in a comment where each product GUID was found', () => {
    const pipeline = pipelineSchema.parse(parse(text));
    const comments = text.split('\n').filter((l) => l.trimStart().startsWith('#')).join('\n');
    for (const guid of pipeline.products.filter((p) => GUID.test(p))) expect(comments).toContain(guid);
  });
});
