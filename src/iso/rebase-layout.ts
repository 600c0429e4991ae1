/**
 * A further subscriber's layout from its group master's, without planning the tree again: images of
 * one group differ only in the bytes of their tail files (MANIFEST.json & co.), so their folders,
 * path tables and update files sit where the master has them, and only the tail files' sectors move
 * (each follows the one before it). Planning 1,500 files costs ~75 ms; this costs well under one.
 * The result equals `planIsoLayout(files, options)` (a test compares them), and
 * `rebasedBase(layout)` lets the patch check skip comparing the shared head byte for byte.
 */
import { checkInput, resolveOptions } from './layout-input.ts';
import { planIsoLayout, type IsoFileInput, type IsoLayout, type IsoOptions, type IsoSource, type PlannedFile, type PlannedNode, type TailRegion } from './layout.ts';
import { SECTOR_SIZE } from './volume-descriptor.ts';

const rebasedFrom = new WeakMap<IsoLayout, IsoLayout>();

/** The layout `layout` was rebased from (same head, same shared files by construction), if any. */
export function rebasedBase(layout: IsoLayout): IsoLayout | undefined {
  return rebasedFrom.get(layout);
}

/** Node index of each input, per base layout (built once). */
const inputNodes = new WeakMap<IsoLayout, number[]>();
function nodesByInput(base: IsoLayout): number[] {
  let map = inputNodes.get(base);
  if (map === undefined) {
    map = [];
    base.nodes.forEach((n, i) => {
      if (!n.isDir) map![n.input] = i;
    });
    inputNodes.set(base, map);
  }
  return map;
}

/**
 * The layout `planIsoLayout(files, options)` would give, derived from `base` (a layout with a tail);
 * undefined when it cannot be derived (other paths, order, update files, modes, dates or options,
 * or tail files that no longer fit the reserve), for the caller to plan in full.
 */
export function rebaseLayout(base: IsoLayout, files: readonly IsoFileInput[], options: IsoOptions): IsoLayout | undefined {
  if (base.tail === undefined || options.tailSectors !== base.tail.sectors) return undefined;
  const layout = rebase(base, files, options);
  if (layout?.tail === undefined || layout.tail.used > layout.tail.sectors) return undefined;
  rebasedFrom.set(layout, base);
  return layout;
}

/**
 * `tailSectorsUsed(files, options)` from `base`, planned from another member of the same group
 * (with any tail reserve, or `tailSectors: 'fit'` via tailSectorsUsed): undefined when the files do
 * not derive from it.
 */
export function tailSectorsUsedFrom(base: IsoLayout, files: readonly IsoFileInput[], options: IsoOptions): number | undefined {
  return rebase(base, files, options)?.tail?.used;
}

/** The rebased layout, its tail `used` not checked against the reserve. */
function rebase(base: IsoLayout, files: readonly IsoFileInput[], options: IsoOptions): IsoLayout | undefined {
  const tail = base.tail;
  if (tail === undefined) return undefined;
  const resolved = resolveOptions(options);
  if (
    resolved.volumeId !== base.volumeId || resolved.systemId !== base.systemId || resolved.publisher !== base.publisher ||
    resolved.application !== base.application || resolved.date !== base.date
  ) {
    return undefined;
  }
  const byInput = nodesByInput(base);
  if (byInput.length !== files.length) return undefined;
  for (let i = 0; i < files.length; i++) {
    const f = files[i] as IsoFileInput;
    checkInput(f);
    const n = base.nodes[byInput[i] as number] as PlannedNode | undefined;
    if (n === undefined || n.path !== f.path || (n.mode & 0o7777) !== ((f.mode ?? 0o444) & 0o7777) || n.mtime !== (f.mtime ?? options.date)) return undefined;
    const planned = base.files[n.file];
    if (planned === undefined || planned.inTail !== (f.tail ?? false)) return undefined;
    if (!planned.inTail && (planned.size !== f.size || !sameIsoSource(planned.source, f.source))) return undefined;
  }
  // Tail files follow the folders in the order planIsoLayout placed them (base.files order).
  const nodes = base.nodes.slice();
  const planned = base.files.slice();
  const start = tailFilesStart(base);
  let next = start;
  for (let k = 0; k < planned.length; k++) {
    const p = planned[k] as PlannedFile;
    if (!p.inTail) continue;
    const n = nodes[p.node] as PlannedNode;
    const f = files[n.input] as IsoFileInput;
    const lba = f.size === 0 ? 0 : next;
    // Tail files are small (buffers): one extent each.
    nodes[p.node] = { ...n, extents: [{ lba, size: f.size }] };
    planned[k] = { ...p, size: f.size, source: f.source, lba };
    next += Math.ceil(f.size / SECTOR_SIZE);
  }
  return { ...base, nodes, files: planned, tail: { ...tail, used: next - tail.lba } satisfies TailRegion };
}

/** A group member's layout: rebased from the master's when it can be, else planned in full. */
export function planFromMaster(master: IsoLayout | undefined, files: IsoFileInput[], options: IsoOptions): IsoLayout {
  return (master === undefined ? undefined : rebaseLayout(master, files, options)) ?? planIsoLayout(files, options);
}

/**
 * Where tail file data starts, right after the folders and continuation areas: the first non-empty
 * tail file's sector, or, when there is none, the end of what the tail uses.
 */
function tailFilesStart(base: IsoLayout): number {
  const tail = base.tail as TailRegion;
  const first = base.files.find((f) => f.inTail && f.size > 0);
  return first === undefined ? tail.lba + tail.used : first.lba;
}

/** True when two sources give the same bytes: the same file path, or equal buffers. */
export function sameIsoSource(a: IsoSource, b: IsoSource): boolean {
  if (a.kind === 'file' && b.kind === 'file') return a.path === b.path;
  if (a.kind === 'buffer' && b.kind === 'buffer') return Buffer.from(a.data).equals(b.data);
  return false;
}
