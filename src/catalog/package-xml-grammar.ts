/**
 * What parsePackageXml knows of package.xml's grammar (FORMAT-NOTES §2): the element and attribute
 * local names it reads, numbered so that a name is an index and a set of children is a bit set, and
 * which child elements each element may hold.
 */

/** Element local names first (their index is a bit in CHILDREN), then attribute names. */
export const ELEMENTS = [
  'OfflineSyncPackage', 'Updates', 'Update', 'Categories', 'Category', 'SupersededBy', 'BundledBy', 'Revision', 'PayloadFiles',
  'File', 'Prerequisites', 'UpdateId', 'Or', 'Languages', 'Language', 'EulaFiles', 'FileLocations', 'FileLocation',
] as const;
export const ATTRIBUTES = ['PackageId', 'CreationDate', 'RevisionId', 'RevisionNumber', 'IsBundle', 'Type', 'Id', 'Name', 'Url'] as const;
export type Known = (typeof ELEMENTS)[number] | (typeof ATTRIBUTES)[number];
export const KNOWN_NAMES: readonly Known[] = [...ELEMENTS, ...ATTRIBUTES.filter((a) => !(ELEMENTS as readonly string[]).includes(a))];
export const K = Object.fromEntries(KNOWN_NAMES.map((n, i) => [n, i])) as Record<Known, number>;
/** The parent index of the document level. */
export const DOCUMENT = -1;

const bits = (...names: (typeof ELEMENTS)[number][]): number => names.reduce((m, n) => m | (1 << K[n]), 0);
/** Allowed child elements per parent (FORMAT-NOTES §2), as bit sets over ELEMENTS. */
const CHILD_LIST: readonly (readonly [number, number])[] = [
  [DOCUMENT, bits('OfflineSyncPackage')],
  [K.OfflineSyncPackage, bits('Updates', 'FileLocations')],
  [K.Updates, bits('Update')],
  [K.Update, bits('Categories', 'SupersededBy', 'BundledBy', 'PayloadFiles', 'Prerequisites', 'Languages', 'EulaFiles')],
  [K.Categories, bits('Category')],
  [K.SupersededBy, bits('Revision')],
  [K.BundledBy, bits('Revision')],
  [K.PayloadFiles, bits('File')],
  [K.Prerequisites, bits('UpdateId', 'Or')],
  [K.Or, bits('UpdateId')],
  [K.Languages, bits('Language')],
  [K.EulaFiles, bits('File')],
  [K.File, bits('Language')],
  [K.FileLocations, bits('FileLocation')],
];
/** CHILD_LIST indexed by parent + 1 (the document is -1), 0 for an element without children. */
export const CHILDREN = new Int32Array(ELEMENTS.length + 1);
for (const [parent, children] of CHILD_LIST) CHILDREN[parent + 1] = children;
