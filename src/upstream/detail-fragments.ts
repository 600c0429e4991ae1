import type { CatalogModel, CatalogUpdate } from './catalog-model.ts';
import { escapeXml } from './package-xml.ts';

/*
 * Detail fragments of the detail cabinets (FORMAT-NOTES.md §1): c/<rev> core, x/<rev> extended
 * properties, l/<lang>/<rev> localized properties. Fragments have no single root element, like the
 * real ones.
 */

export interface Fragment {
  revisionId: number;
  /** Member name inside the detail cabinet, e.g. x/300014 or l/en/300014 */
  name: string;
  text: string;
}

const CBS_HANDLER = 'http://schemas.microsoft.com/msus/2002/12/UpdateHandlers/Cbs';
const SUPPORT_URL = 'http://support.microsoft.com';
const NOT_INSTALLED_RULES = '<ApplicabilityRules><IsInstalled><False /></IsInstalled><IsInstallable><True /></IsInstallable></ApplicabilityRules>';

/** Every fragment of the catalog, ordered by revision then name. */
export function detailFragments(model: CatalogModel): Fragment[] {
  const out: Fragment[] = [];
  for (const c of model.categories) {
    const rev = c.revisionId;
    out.push({
      revisionId: rev,
      name: `c/${rev}`,
      text: `<UpdateIdentity UpdateID="${c.updateId}" RevisionNumber="${c.revisionNumber}" /><Properties UpdateType="Category" /><Relationships />`,
    });
    out.push({ revisionId: rev, name: `x/${rev}`, text: `<ExtendedProperties DefaultPropertiesLanguage="en" />` });
    out.push({ revisionId: rev, name: `l/en/${rev}`, text: localized('en', c.title, c.title) });
  }
  for (const u of model.updates) out.push(...bundleFragments(u), ...childFragments(u));
  return out.sort((a, b) => a.revisionId - b.revisionId || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function bundleFragments(u: CatalogUpdate): Fragment[] {
  const rev = u.revisionId;
  const superseded = u.supersedesUpdateIds.map((id) => `<UpdateIdentity UpdateID="${id}" />`).join('');
  const prereqs = u.prerequisites.map((id) => `<AtLeastOne IsCategory="true"><UpdateIdentity UpdateID="${id}" /></AtLeastOne>`).join('');
  const bundled = u.children.map((c) => `<UpdateIdentity UpdateID="${c.updateId}" RevisionNumber="${c.revisionNumber}" />`).join('');
  const core =
    `<UpdateIdentity UpdateID="${u.updateId}" RevisionNumber="${u.revisionNumber}" />` +
    `<Properties UpdateType="Software" ExplicitlyDeployable="true" AutoSelectOnWebSites="true" />` +
    '<Relationships>' +
    (superseded === '' ? '' : `<SupersededUpdates>${superseded}</SupersededUpdates>`) +
    `<Prerequisites>${prereqs}</Prerequisites>` +
    `<BundledUpdates>${bundled}</BundledUpdates>` +
    '</Relationships>' +
    NOT_INSTALLED_RULES;
  const severity = u.severity === undefined ? '' : ` MsrcSeverity="${u.severity}"`;
  // Modern updates carry no MSxx-yyy bulletin; the simulator writes the month's CVRF id there.
  const bulletin = u.classification === 'Security Updates' ? `<SecurityBulletinID>${u.month.cvrfId}</SecurityBulletinID>` : '';
  const extended =
    `<ExtendedProperties DefaultPropertiesLanguage="en"${severity} IsBeta="false">` +
    `<SupportUrl>${SUPPORT_URL}</SupportUrl>${bulletin}<KBArticleID>${u.kb}</KBArticleID>` +
    '</ExtendedProperties>';
  const fragments: Fragment[] = [
    { revisionId: rev, name: `c/${rev}`, text: core },
    { revisionId: rev, name: `x/${rev}`, text: extended },
  ];
  for (const [lang, title] of Object.entries(u.titles)) {
    fragments.push({ revisionId: rev, name: `l/${lang}/${rev}`, text: localized(lang, title, u.description, u.kb) });
  }
  return fragments;
}

function childFragments(u: CatalogUpdate): Fragment[] {
  return u.children.flatMap((child) => {
    const rev = child.revisionId;
    const f = child.file;
    const language = child.language === undefined ? '' : `<Language>${child.language}</Language>`;
    const core =
      `<UpdateIdentity UpdateID="${child.updateId}" RevisionNumber="${child.revisionNumber}" />` +
      `<Properties UpdateType="Software" />` +
      '<Relationships />' +
      NOT_INSTALLED_RULES;
    const extended =
      `<ExtendedProperties DefaultPropertiesLanguage="en" Handler="${CBS_HANDLER}" MaxDownloadSize="${f.size}" MinDownloadSize="0">` +
      `<InstallationBehavior RebootBehavior="CanRequestReboot" />${language}</ExtendedProperties>` +
      `<Files><File Digest="${f.sha1Base64}" DigestAlgorithm="SHA1" FileName="${escapeXml(f.fileName)}" Size="${f.size}" Modified="${f.modified}">` +
      `<AdditionalDigest Algorithm="SHA256">${f.sha256Base64}</AdditionalDigest></File></Files>`;
    return [
      { revisionId: rev, name: `c/${rev}`, text: core },
      { revisionId: rev, name: `x/${rev}`, text: extended },
      { revisionId: rev, name: `l/en/${rev}`, text: localized('en', u.title, u.description, u.kb) },
    ];
  });
}

function localized(lang: string, title: string, description: string, kb?: string): string {
  const more = kb === undefined ? '' : `<MoreInfoUrl>http://support.microsoft.com/kb/${kb}</MoreInfoUrl>`;
  return (
    `<LocalizedProperties><Language>${lang}</Language><Title>${escapeXml(title)}</Title>` +
    `<Description>${escapeXml(description)}</Description>${more}<SupportUrl>${SUPPORT_URL}</SupportUrl></LocalizedProperties>`
  );
}
