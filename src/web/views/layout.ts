/**
 * The frame of every clerk page: head with inline style (no external resource of any kind),
 * navigation, language switch and logout.
 */
import { CSRF_FIELD } from '../auth.ts';
import type { Lang, Messages } from '../i18n.ts';
import { html, SafeHtml } from './html.ts';

export interface LayoutProps {
  lang: Lang;
  t: Messages;
  title: string;
  /** Current path and query, for the language switch. */
  url: URL;
  /** Show the logout button (a token is configured and this session logged in). */
  loggedIn: boolean;
  csrf: string;
  body: SafeHtml;
}

const STYLE = SafeHtml.trusted(`
body{font-family:system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;color:#1d2733;background:#f5f7fa}
header{background:#1f3b5a;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header a:hover{text-decoration:underline}
header .brand{font-weight:600;margin-right:1rem}header .right{margin-left:auto;display:flex;gap:1rem;align-items:center}
main{padding:1rem 1.2rem;max-width:1400px}
h1{font-size:1.35rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .6rem}
table{border-collapse:collapse;background:#fff;width:100%;font-size:.9rem}
th,td{border:1px solid #d5dbe3;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#e8edf3}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tfoot td{font-weight:600;background:#f0f3f7}
form.filters{display:flex;gap:.8rem;flex-wrap:wrap;align-items:end;margin-bottom:1rem}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;gap:.2rem}
input,select,button{font:inherit;padding:.25rem .4rem}
button,.button{background:#1f3b5a;color:#fff;border:0;border-radius:3px;padding:.35rem .8rem;text-decoration:none;cursor:pointer}
.bar{display:flex;gap:1rem;align-items:center;margin:.8rem 0;flex-wrap:wrap}
.notice{background:#fff7e0;border:1px solid #e6c76a;padding:.5rem .8rem;margin:.6rem 0}
.error{background:#fdecea;border:1px solid #e3a29b;padding:.5rem .8rem;margin:.6rem 0}
.ok{background:#e7f6ea;border:1px solid #8cc79a;padding:.5rem .8rem;margin:.6rem 0}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;background:#fff;padding:.8rem;border:1px solid #d5dbe3}
dl.fields dt{font-weight:600}dl.fields dd{margin:0}
.status-mailed,.status-delivered{color:#1e7b34}.status-returned,.status-lost{color:#b3261e}
svg{background:#fff;border:1px solid #d5dbe3;max-width:100%;height:auto}
code{font-size:.85em;word-break:break-all}
`);

/** `url` with `lang` set: the language switch link. */
export function withLang(url: URL, lang: Lang): string {
  const params = new URLSearchParams(url.search);
  params.set('lang', lang);
  return `${url.pathname}?${params.toString()}`;
}

/** A full HTML document around `body`. */
export function layout(p: LayoutProps): SafeHtml {
  const other: Lang = p.lang === 'en' ? 'zh-CN' : 'en';
  const logout = p.loggedIn
    ? html`<form method="post" action="/logout"><input type="hidden" name="${CSRF_FIELD}" value="${p.csrf}"><button type="submit">${p.t.logout}</button></form>`
    : null;
  return html`<!doctype html>
<html lang="${p.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · ${p.t.appTitle}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<span class="brand">${p.t.appTitle}</span>
<a href="/shipments">${p.t.navShipments}</a>
<a href="/subscribers">${p.t.navSubscribers}</a>
<a href="/builds">${p.t.navBuilds}</a>
<span class="right"><a href="${withLang(p.url, other)}" hreflang="${other}" lang="${other}">${p.t.switchLang}</a>${logout}</span>
</header>
<main>
<h1>${p.title}</h1>
${p.body}
</main>
</body>
</html>
`;
}
