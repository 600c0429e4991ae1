import { readFile } from 'node:fs/promises';
import { LineCounter, isNode, parseDocument } from 'yaml';
import type { z } from 'zod';
import { PatchdiscError } from '../errors.ts';

/**
 * Reads a YAML file and validates it with a zod schema. Any problem becomes one CONFIG_INVALID error
 * naming the file, the key path and the line, e.g.
 * `Cannot load pipelines/demo.yaml: medium (line 7): Invalid option: expected one of "cd"|"dvd"|...`.
 */
export async function loadYamlFile<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new PatchdiscError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'CONFIG_INVALID',
      `Cannot load ${path}: ${code === 'ENOENT' ? 'file not found' : String(cause)}`,
      { cause, details: { file: path } },
    );
  }
  return parseYamlText(text, path, schema);
}

/** Validates YAML text; `label` names the source in messages. */
export function parseYamlText<S extends z.ZodType>(text: string, label: string, schema: S): z.output<S> {
  const lineCounter = new LineCounter();
  // logLevel 'error': the library would print its warnings to stderr itself (e.g. a map used as a key).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const firstError = doc.errors[0];
  if (firstError) {
    const line = firstError.linePos?.[0]?.line ?? lineCounter.linePos(firstError.pos[0]).line;
    throw new PatchdiscError('CONFIG_INVALID', `Cannot load ${label}: YAML syntax error at line ${line}: ${firstError.message.split('\n')[0]}`, {
      details: { file: label, line },
    });
  }
  let data: unknown;
  try {
    data = doc.toJS() ?? {};
  } catch (cause) {
    // The parser reports syntax; resolving the document can still fail (an alias with no anchor
    // before it, too many aliases expanded).
    throw new PatchdiscError('CONFIG_INVALID', `Cannot load ${label}: ${(cause as Error).message.split('\n')[0]}`, { cause, details: { file: label } });
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String);
  const keyPath = path.length > 0 ? path.join('.') : '(top level)';
  // Point at the deepest node that exists on the issue's path.
  let line: number | undefined;
  for (let depth = path.length; depth >= 0 && line === undefined; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(issue.path.slice(0, depth), true);
    if (isNode(node) && node.range) line = lineCounter.linePos(node.range[0]).line;
  }
  const where = line === undefined ? keyPath : `${keyPath} (line ${line})`;
  throw new PatchdiscError('CONFIG_INVALID', `Cannot load ${label}: ${where}: ${issue.message}`, {
    details: { file: label, keyPath, line },
  });
}
