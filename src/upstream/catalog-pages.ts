import type { CatalogModel, CatalogUpdate } from './catalog-model.ts';

/*
 * Microsoft Update Catalog pages in the shapes of shared/fixtures/catalog-html: Search.aspx (result
 * table ctl00_catalogBody_updateMatches, rows <guid>_R<n>, cells <guid>_C<k>_R<n>, <guid>_originalSize)
 * and DownloadDialog.aspx (downloadInformation[i].files[j].url/digest JavaScript lines). Only the
 * parts a scraper reads are reproduced; CRLF line endings as the real server sends.
 */

const ROWS_PER_PAGE = 25;
const MIB = 1024 * 1024;

export function searchPage(model: CatalogModel, query: string): string {
  const terms = query.toLowerCase().split(/\s+/).filter((t) => t.length > 0);
  const matches = model.updates
    .filter((u) => terms.length > 0 && terms.every((t) => u.title.toLowerCase().includes(t) || `kb${u.kb}` === t))
    .sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : 0));
  const lines = pageHead('Microsoft Update Catalog');
  lines.push(`<form name="aspnetForm" method="post" action="./Search.aspx?q=${encodeURIComponent(query)}" id="aspnetForm">`);
  lines.push('<input type="hidden" name="__EVENTTARGET" id="__EVENTTARGET" value="" />');
  lines.push('<input type="hidden" name="__EVENTARGUMENT" id="__EVENTARGUMENT" value="" />');
  lines.push('<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="c2ltdWxhdGVk" />');
  if (matches.length === 0) {
    lines.push(
      `<span id="ctl00_catalogBody_noResultText">We did not find any results for "${escapeHtml(query)}".</span>`,
      '</form>',
      '</body>',
      '</html>',
    );
    return crlf(lines);
  }
  const shown = matches.slice(0, ROWS_PER_PAGE);
  const pages = Math.ceil(matches.length / ROWS_PER_PAGE);
  lines.push(
    '<span id="ctl00_catalogBody_labelUpdates_Separator">Updates:</span>',
    `<span id="ctl00_catalogBody_searchDuration">1 - ${shown.length} of ${matches.length} (page 1 of ${pages})</span><br />`,
  );
  if (pages > 1) lines.push('<a id="ctl00_catalogBody_nextPageLinkText" href="javascript:__doPostBack(&#39;ctl00$catalogBody$nextPageLinkText&#39;,&#39;&#39;)">Next</a>');
  lines.push('<div id="tableContainer" class="resultsBackGround">');
  lines.push('<table class="resultsBorder resultsBackGround" cellspacing="0" cellpadding="0" rules="all" id="ctl00_catalogBody_updateMatches">');
  lines.push('\t<tr class="dataGridFixedHeader1" id="headerRow"><td id="header_C1">Title</td><td id="header_C2">Products</td><td id="header_C3">Classification</td><td id="header_C4">Last Updated</td><td id="header_C5">Version</td><td id="header_C6">Size</td><td id="header_C7"></td></tr>');
  shown.forEach((u, n) => lines.push(...row(u, n)));
  lines.push('</table>', '</div>', '</form>', '</body>', '</html>');
  return crlf(lines);
}

function row(u: CatalogUpdate, n: number): string[] {
  const id = u.updateId;
  const size = u.files.reduce((sum, f) => sum + f.size, 0);
  const d = new Date(u.created);
  const date = `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
  return [
    `\t<tr id="${id}_R${n}" style="border-width:0px;">`,
    `\t\t<td class="resultsbottomBorder resultspadding resultsIconWidth " id="${id}_C0_R${n}">`,
    `                    </td><td class="resultsbottomBorder resultspadding" id="${id}_C1_R${n}">`,
    `                        <a id='${id}_link' href= "javascript:void(0);" onclick='goToDetails("${id}");'>`,
    `                            ${escapeHtml(u.title)}`,
    '                        </a>',
    `                    </td><td class="resultsbottomBorder resultspadding" id="${id}_C2_R${n}">`,
    `                        ${escapeHtml(u.products.join(', '))}`,
    `                    </td><td class="resultsbottomBorder resultspadding" id="${id}_C3_R${n}">`,
    `                        ${escapeHtml(u.classification)}`,
    `                    </td><td class="resultsbottomBorder resultspadding " id="${id}_C4_R${n}">`,
    `                        ${date}`,
    `                    </td><td class="resultsbottomBorder resultspadding" id="${id}_C5_R${n}">`,
    '                        n/a',
    `                    </td><td class="resultsbottomBorder resultspadding resultsSizeWidth" id="${id}_C6_R${n}">`,
    `                       <span id="${id}_size">${(size / MIB).toFixed(1)} MB</span> `,
    `                       <span class="noDisplay" id="${id}_originalSize">${size}</span>`,
    `                    </td><td class="resultsbottomBorder resultsButtonWidth" id="${id}_C7_R${n}">`,
    `                            <input id="${id}" class="flatLightBlueButton" type="button" value='Download' />`,
    '                        </td>',
    '\t</tr>',
  ];
}

/** POST DownloadDialog.aspx with form field updateIDs=[{"size":0,"updateID":"<guid>","uidInfo":"<guid>"}]. */
export function downloadDialogPage(model: CatalogModel, updateIds: readonly string[], downloadBase: string): string {
  const lines = pageHead('Microsoft Update Catalog');
  lines.push('<script type="text/javascript">', '        var downloadInformation = new Array();');
  let i = 0;
  for (const wanted of updateIds) {
    const u = model.updates.find((x) => x.updateId.toLowerCase() === wanted.toLowerCase());
    if (u === undefined) continue;
    const di = `downloadInformation[${i}]`;
    lines.push(`${di} = new Object();`, `${di}.updateID ='${u.updateId}';`, `${di}.isHotFix =false;`, `${di}.enTitle ='${jsString(u.title)}';`, `${di}.sizeLanguage ='';`, `${di}.files = new Array();`);
    u.files.forEach((f, j) => {
      const fj = `${di}.files[${j}]`;
      lines.push(
        `${fj} = new Object();`,
        `${fj}.url = '${jsString(downloadBase + f.urlPath)}';`,
        `${fj}.digest = '${f.sha1Base64}';`,
        `${fj}.architectures = '${u.arch.toUpperCase()}';`,
        `${fj}.languages = '${f.language ?? 'all'}';`,
        `${fj}.longLanguages = '${f.language ?? 'all'}';`,
        `${fj}.fileName = '${jsString(f.fileName)}';`,
        `${fj}.defaultFileNameLength = 128;`,
      );
    });
    lines.push(`${di}.allFilesExist = false;`);
    i++;
  }
  lines.push('</script>', '</body>', '</html>');
  return crlf(lines);
}

function pageHead(title: string): string[] {
  return [
    '',
    '',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
    '<html xmlns="http://www.w3.org/1999/xhtml" dir="ltr">',
    `<head><meta http-equiv="X-UA-Compatible" content="IE=7" /><title>${title}</title></head>`,
    '<body>',
  ];
}

function crlf(lines: string[]): string {
  return lines.join('\r\n') + '\r\n';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function jsString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
