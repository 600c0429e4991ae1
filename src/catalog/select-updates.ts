/**
 * Chooses the updates a pipeline ships, and explains every choice. Pure: snapshot + pipeline in,
 * selection + one decision per bundle out.
 *
 * Order of the rules (the first that decides wins):
 *  1. excludeKbs: always out.
 *  2. Superseded (WSUS Offline rule, see snapshot.ts) → out, unless every superseding bundle is itself
 *     excluded by excludeKbs (the customer refused the successor, so the old fix is still needed).
 *     includeKbs does NOT revive a superseded update: its successor carries the fix, and shipping both
 *     would contradict the catalog. Files a superseded bundle shares with a current one ship with the
 *     current one, so nothing a current bundle needs is lost ("bundle-aware").
 *  3. Product, classification, architecture and language filters → out when one fails, unless the KB
 *     is in includeKbs (forced in; the reason names the filter it overrode).
 * Architecture: the tokens x64/amd64, x86, arm64 in the title decide; when the title names none, each
 * file is judged by its own name and files for other architectures are dropped from the update.
 */
import type { PipelineDefinition } from '../config/pipeline-schema.ts';
import type { CatalogFile, CatalogSnapshot, CatalogUpdate } from './snapshot.ts';

export interface SelectionDecision {
  revisionId: number;
  kb?: string;
  title: string;
  included: boolean;
  reason: string;
}

export interface Selection {
  selected: CatalogUpdate[];
  decisions: SelectionDecision[];
}

type Architecture = PipelineDefinition['architectures'][number];

const ARCH_TOKENS: Record<string, Architecture> = { x64: 'x64', amd64: 'x64', x86: 'x86', arm64: 'arm64' };

/** Architectures named in `text` (title or file name), by whole token. */
export function architecturesIn(text: string): Set<Architecture> {
  const found = new Set<Architecture>();
  for (const token of text.toLowerCase().split(/[^a-z0-9]+/)) {
    const arch = ARCH_TOKENS[token];
    if (arch) found.add(arch);
  }
  return found;
}

function matchesAny(wanted: readonly string[], ids: readonly string[], names: readonly string[]): boolean {
  const want = new Set(wanted.map((w) => w.trim().toLowerCase()));
  return ids.some((id) => want.has(id.toLowerCase())) || names.some((n) => want.has(n.toLowerCase()));
}

/** Why `update` fails the pipeline's filters, or undefined; also the files it keeps. */
function filterFailure(update: CatalogUpdate, pipeline: PipelineDefinition): { failure?: string; files: CatalogFile[]; dropped: number } {
  let files = update.files;
  let dropped = 0;
  if (!matchesAny(pipeline.products, update.productIds, update.products)) {
    return { failure: `product ${describe(update.products)} is not in the pipeline`, files, dropped };
  }
  if (pipeline.classifications.length > 0 && !matchesAny(pipeline.classifications, update.classificationIds, update.classifications)) {
    return { failure: `classification ${describe(update.classifications)} is not in the pipeline`, files, dropped };
  }
  if (pipeline.architectures.length > 0) {
    const wanted = new Set<Architecture>(pipeline.architectures);
    const titled = architecturesIn(update.title);
    if (titled.size > 0) {
      if (![...titled].some((a) => wanted.has(a))) return { failure: `architecture ${[...titled].join('/')} is not in the pipeline`, files, dropped };
    } else {
      const kept = files.filter((f) => {
        const named = architecturesIn(f.name);
        return named.size === 0 || [...named].some((a) => wanted.has(a));
      });
      dropped = files.length - kept.length;
      if (files.length > 0 && kept.length === 0) return { failure: 'every file is for an architecture the pipeline does not want', files, dropped };
      files = kept;
    }
  }
  if (pipeline.languages.length > 0 && update.languages.length > 0) {
    const wanted = new Set(pipeline.languages.map((l) => l.toLowerCase()));
    if (!update.languages.some((l) => wanted.has(l.toLowerCase()))) {
      return { failure: `language ${update.languages.join('/')} is not in the pipeline`, files, dropped };
    }
  }
  return { files, dropped };
}

function describe(names: readonly string[]): string {
  return names.length === 0 ? '(none)' : names.map((n) => `"${n}"`).join(', ');
}

/** Applies `pipeline` to `snapshot`; see the module comment for the rules. */
export function selectUpdates(snapshot: CatalogSnapshot, pipeline: PipelineDefinition): Selection {
  const include = new Set(pipeline.includeKbs);
  const exclude = new Set(pipeline.excludeKbs);
  const byRevision = new Map(snapshot.bundles.map((b) => [b.revisionId, b]));
  const selected: CatalogUpdate[] = [];
  const decisions: SelectionDecision[] = [];

  for (const update of snapshot.bundles) {
    const decide = (included: boolean, reason: string): void => {
      const decision: SelectionDecision = { revisionId: update.revisionId, title: update.title, included, reason };
      if (update.kb !== undefined) decision.kb = update.kb;
      decisions.push(decision);
    };
    if (update.kb !== undefined && exclude.has(update.kb)) {
      decide(false, `KB${update.kb} is in excludeKbs`);
      continue;
    }
    if (update.superseded) {
      const successors = update.supersededBy.map((r) => byRevision.get(r)).filter((b): b is CatalogUpdate => b !== undefined);
      const live = successors.filter((b) => b.kb === undefined || !exclude.has(b.kb));
      if (live.length > 0) {
        const names = live.map((b) => (b.kb ? `KB${b.kb} (revision ${b.revisionId})` : `revision ${b.revisionId}`)).join(', ');
        decide(false, `superseded by ${names}${update.kb !== undefined && include.has(update.kb) ? '; includeKbs does not revive superseded updates' : ''}`);
        continue;
      }
    }
    const { failure, files, dropped } = filterFailure(update, pipeline);
    const forced = update.kb !== undefined && include.has(update.kb);
    if (failure !== undefined && !forced) {
      decide(false, failure);
      continue;
    }
    const chosen = dropped > 0 ? { ...update, files } : update;
    selected.push(chosen);
    const notes: string[] = [];
    if (update.superseded) notes.push('its superseding updates are all in excludeKbs');
    if (dropped > 0) notes.push(`${dropped} file(s) for other architectures dropped`);
    const base = failure !== undefined ? `forced in by includeKbs although ${failure}` : forced ? 'in includeKbs and matches the pipeline' : 'matches products, classifications, architectures and languages';
    decide(true, [base, ...notes].join('; '));
  }
  selected.sort((a, b) => a.revisionId - b.revisionId);
  return { selected, decisions };
}

/**
 * What one subscriber's next disc holds. `current` is this week's selection (superseded updates
 * already gone); `received` lists what earlier discs gave this subscriber.
 * - full: everything current.
 * - delta: current minus what the subscriber already has: the same revision, or an update all of
 *   whose files were already shipped (a metadata-only revision). A new subscriber (nothing received)
 *   gets the full baseline; one who missed discs gets everything current they lack — which leaves out
 *   what was superseded meanwhile, because it is no longer current.
 */
export function selectForSubscriber(
  current: CatalogUpdate[],
  received: { revisionId: number; sha1s: string[] }[],
  mode: 'delta' | 'full',
): CatalogUpdate[] {
  if (mode === 'full') return [...current];
  const revisions = new Set(received.map((r) => r.revisionId));
  const sha1s = new Set(received.flatMap((r) => r.sha1s.map((s) => s.toLowerCase())));
  return current.filter((update) => {
    if (revisions.has(update.revisionId)) return false;
    const allShipped = update.files.length > 0 && update.files.every((f) => sha1s.has(f.sha1.toLowerCase()));
    return !allShipped;
  });
}
