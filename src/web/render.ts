/**
 * Turns a page body into the HTML response, inside the layout, in the request's language.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ClerkDeps, ClerkEnv } from './clerk-env.ts';
import type { SafeHtml } from './views/html.ts';
import { layout } from './views/layout.ts';

/** Responds with the page titled `title` around `body`. */
export function renderPage(
  c: Context<ClerkEnv>,
  deps: ClerkDeps,
  title: string,
  body: SafeHtml,
  status: ContentfulStatusCode = 200,
): Response {
  const page = layout({
    lang: c.get('lang'),
    t: c.get('t'),
    title,
    url: new URL(c.req.url),
    loggedIn: deps.token !== undefined && c.get('authed'),
    csrf: c.get('csrf'),
    body,
  });
  return c.html(page.toString(), status);
}
