/**
 * Which Rock Ridge entries each primary-tree record carries. Used by the layout (to size records and
 * continuation areas) and by the encoder (to write them), so both always agree.
 */
import type { PlannedNode } from './layout.ts';
import { encodeUtf8 } from './names.ts';
import { encodeEr, encodeNm, encodePx, encodeSp, encodeTf } from './rock-ridge.ts';

/** 'self': a child's record in its parent; 'dot' / 'dotdot': a directory's own records. */
export type SystemUseRole = 'self' | 'dot' | 'dotdot' | 'root-dot';

type NodeLike = Pick<PlannedNode, 'name' | 'mode' | 'mtime' | 'links' | 'parent'>;

/**
 * Entries in order. SUSP 5.3: SP comes first in the root's '.' record; RRIP 1.10 section 5: ER
 * (RRIP_1991A) in the root's '.' record or its continuation area.
 */
export function systemUseEntries(nodes: readonly NodeLike[], index: number, role: SystemUseRole): Uint8Array[] {
  const self = nodes[index] as NodeLike;
  const subject = role === 'dotdot' ? (nodes[self.parent] as NodeLike) : self;
  const attributes = [encodePx(subject.mode, subject.links), encodeTf(subject.mtime)];
  switch (role) {
    case 'root-dot':
      return [encodeSp(), ...attributes, encodeEr()];
    case 'dot':
    case 'dotdot':
      return attributes;
    case 'self':
      return [...attributes, ...encodeNm(encodeUtf8(self.name))];
  }
}
