import { COMPANY_MICROSOFT, PRODUCT_FAMILY_WINDOWS } from './catalog-categories.ts';
import type { CatalogModel, CatalogUpdate } from './catalog-model.ts';

/*
 * package.xml as wsusscn2.cab carries it (shape per shared/fixtures/wsus-package-xml/FORMAT-NOTES.md):
 * root OfflineSyncPackage in the OfflineSync namespace, Updates (category updates, bundles, their
 * children) and then FileLocations, which ends the document.
 */

export const OFFLINE_SYNC_NAMESPACE = 'http://schemas.microsoft.com/msus/2004/02/OfflineSync';
/** Values observed on a real package (FORMAT-NOTES.md [S10]). */
const MINIMUM_CLIENT_VERSION = '5.8.0.2678';
const PROTOCOL_VERSION = '1.0';
const PACKAGE_VERSION = '1.1';
const SOURCE_ID = 'cc56dcba-9026-4399-8535-7a3c9bed7086';

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

export interface PackageXmlOptions {
  /** Absolute URL prefix of download paths, e.g. http://127.0.0.1:8080 */
  downloadBase: string;
  /** Fault 'malformedXml': break the document in the middle. */
  malformed?: boolean;
}

export function packageXml(model: CatalogModel, options: PackageXmlOptions): string {
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="utf-8"?>');
  out.push(
    `<OfflineSyncPackage xmlns="${OFFLINE_SYNC_NAMESPACE}" MinimumClientVersion="${MINIMUM_CLIENT_VERSION}" ProtocolVersion="${PROTOCOL_VERSION}" PackageId="${model.packageId}" SourceId="${SOURCE_ID}" CreationDate="${model.creationDate}" PackageVersion="${PACKAGE_VERSION}">`,
  );
  out.push('<Updates>');
  for (const c of model.categories) {
    out.push(
      `<Update UpdateId="${c.updateId}" RevisionNumber="${c.revisionNumber}" RevisionId="${c.revisionId}" CreationDate="${c.created}" DefaultLanguage="en" IsLeaf="true" IsSoftware="false" DeploymentAction="Evaluate" />`,
    );
  }
  const middle = Math.floor(model.updates.length / 2);
  model.updates.forEach((u, i) => {
    if (options.malformed === true && i === middle) out.push('<Update UpdateId="broken" <Categories></Update>');
    out.push(bundleXml(u));
    for (const child of u.children) {
      out.push(
        `<Update UpdateId="${child.updateId}" RevisionNumber="${child.revisionNumber}" RevisionId="${child.revisionId}" CreationDate="${u.created}" DefaultLanguage="en" IsBundle="false" IsLeaf="true" DeploymentAction="Bundle">` +
          (child.language === undefined ? '' : `<Languages><Language Name="${child.language}" /></Languages>`) +
          `<BundledBy><Revision Id="${u.revisionId}" /></BundledBy>` +
          `<PayloadFiles><File Id="${child.file.sha1Base64}" /></PayloadFiles>` +
          '</Update>',
      );
    }
  });
  out.push('</Updates>');
  out.push('<FileLocations>');
  for (const f of model.files) {
    out.push(`<FileLocation Id="${f.sha1Base64}" Url="${escapeXml(options.downloadBase + f.urlPath)}" />`);
  }
  out.push('</FileLocations>');
  out.push('</OfflineSyncPackage>');
  return out.join('\n');
}

function bundleXml(u: CatalogUpdate): string {
  const categories = [
    `<Category Type="Company" Id="${COMPANY_MICROSOFT.id}" />`,
    `<Category Type="ProductFamily" Id="${PRODUCT_FAMILY_WINDOWS.id}" />`,
    ...u.productIds.map((id) => `<Category Type="Product" Id="${id}" />`),
    `<Category Type="UpdateClassification" Id="${u.classificationId}" />`,
  ].join('');
  const prerequisites = u.prerequisites.map((id) => `<UpdateId Id="${id}" />`).join('');
  const superseded =
    u.supersededBy.length === 0 ? '' : `<SupersededBy>${u.supersededBy.map((r) => `<Revision Id="${r}" />`).join('')}</SupersededBy>`;
  return (
    `<Update UpdateId="${u.updateId}" RevisionNumber="${u.revisionNumber}" RevisionId="${u.revisionId}" CreationDate="${u.created}" DefaultLanguage="en" IsBundle="true" IsLeaf="true">` +
    `<Categories>${categories}</Categories>` +
    `<Prerequisites>${prerequisites}</Prerequisites>` +
    superseded +
    '</Update>'
  );
}

export interface IndexCab {
  name: string;
  rangeStart?: number;
}

/** index.xml, as in the real file and the vuls fixture (FILESDIR only on package2.cab). */
export function indexXml(cabs: readonly IndexCab[]): string {
  const lines = cabs.map((c, i) => {
    if (c.rangeStart === undefined) return `        <CAB NAME="${c.name}" />`;
    const filesDir = i === 1 ? ' FILESDIR="1"' : '';
    return `        <CAB NAME="${c.name}" RANGESTART="${c.rangeStart}"${filesDir} />`;
  });
  return ['<INDEX VERSION="1">', '    <CABLIST XOR="0">', ...lines, '    </CABLIST>', '</INDEX>', ''].join('\r\n');
}
