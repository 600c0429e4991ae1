/**
 * Builds the directory tree of an image from '/'-separated file paths: validates every name, derives
 * the primary identifiers, and orders children as ECMA-119 9.3 says for each tree. Pure.
 */
import { PatchdiscError } from '../errors.ts';
import { compareIdentifiers, derivePrimaryNames, validateName } from './names.ts';

export interface TreeNode {
  /** Real name (Joliet and Rock Ridge); '' for the root. */
  name: string;
  /** Path from the root, '' for the root. */
  path: string;
  isDir: boolean;
  /** Index of the parent node; the root is its own parent (0). */
  parent: number;
  /** ECMA-119 identifier (`NAME.EXT;1` or `DIR`); '' for the root. */
  primaryId: string;
  /** Index into the input files for a file node. */
  input: number;
  /** Children in primary (ECMA-119 9.3 on primaryId) and Joliet (9.3 on UCS-2 names) order. */
  primaryChildren: number[];
  jolietChildren: number[];
}

/** Builds the tree; node 0 is the root. Throws NAME_INVALID / NAME_TOO_LONG naming the path. */
export function buildTree(paths: readonly string[]): TreeNode[] {
  const nodes: TreeNode[] = [newNode('', '', true, 0, -1)];
  const byPath = new Map<string, number>([['', 0]]);
  const foldedNames = new Map<string, string>();
  paths.forEach((path, input) => {
    const parts = path.split('/');
    let parent = 0;
    parts.forEach((name, i) => {
      validateName(name, path);
      const isDir = i < parts.length - 1;
      const sub = parts.slice(0, i + 1).join('/');
      const existing = byPath.get(sub);
      if (existing !== undefined) {
        const node = nodes[existing] as TreeNode;
        if (!isDir || !node.isDir) {
          throw new PatchdiscError('NAME_INVALID', `Cannot place ${JSON.stringify(path)} on the disc: ${JSON.stringify(sub)} is given twice or as both file and folder; remove the duplicate`, {
            details: { path },
          });
        }
        parent = existing;
        return;
      }
      // Windows reads Joliet case-insensitively, so two names differing only in case would hide one.
      const folded = `${parent}/${name.toUpperCase()}`;
      const other = foldedNames.get(folded);
      if (other !== undefined) {
        throw new PatchdiscError('NAME_INVALID', `Cannot place ${JSON.stringify(path)} on the disc: ${JSON.stringify(sub)} differs from ${JSON.stringify(other)} only in case, which Windows cannot tell apart; rename one`, {
          details: { path, other },
        });
      }
      foldedNames.set(folded, sub);
      const index = nodes.length;
      nodes.push(newNode(name, sub, isDir, parent, isDir ? -1 : input));
      byPath.set(sub, index);
      (nodes[parent] as TreeNode).jolietChildren.push(index);
      parent = index;
    });
  });
  for (const node of nodes) {
    if (!node.isDir) continue;
    const node_ = (i: number): TreeNode => nodes[i] as TreeNode;
    node.jolietChildren.sort((a, b) => compareIdentifiers(node_(a).name, node_(a).isDir, node_(b).name, node_(b).isDir));
    const ids = derivePrimaryNames(node.jolietChildren.map((i) => node_(i)));
    node.jolietChildren.forEach((i, k) => (node_(i).primaryId = ids[k] as string));
    node.primaryChildren = [...node.jolietChildren].sort((a, b) =>
      compareIdentifiers(node_(a).primaryId, node_(a).isDir, node_(b).primaryId, node_(b).isDir),
    );
  }
  return nodes;
}

function newNode(name: string, path: string, isDir: boolean, parent: number, input: number): TreeNode {
  return { name, path, isDir, parent, primaryId: '', input, primaryChildren: [], jolietChildren: [] };
}

/** Directories in path-table order (ECMA-119 6.9.1): breadth first, children in the tree's order. */
export function pathTableOrder(nodes: readonly TreeNode[], tree: 'primary' | 'joliet'): number[] {
  const order = [0];
  for (let k = 0; k < order.length; k++) {
    const node = nodes[order[k] as number] as TreeNode;
    const children = tree === 'primary' ? node.primaryChildren : node.jolietChildren;
    for (const c of children) if ((nodes[c] as TreeNode).isDir) order.push(c);
  }
  return order;
}
