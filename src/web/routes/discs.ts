/**
 * GET /discs/:id: a disc's recorded fields and, while its ISO exists, the manifest's content list.
 */
import type { Hono } from 'hono';
import type { ClerkDeps, ClerkEnv } from '../clerk-env.ts';
import { readDiscManifest } from '../disc-manifest.ts';
import { getDisc } from '../queries.ts';
import { renderPage } from '../render.ts';
import { discView } from '../views/disc-view.ts';
import { html } from '../views/html.ts';

export function registerDiscRoutes(app: Hono<ClerkEnv>, deps: ClerkDeps): void {
  app.get('/discs/:id', async (c) => {
    const t = c.get('t');
    const raw = c.req.param('id');
    const disc = /^[1-9]\d{0,11}$/.test(raw) ? await getDisc(deps.ledger, Number(raw)) : undefined;
    if (!disc) return renderPage(c, deps, t.errorTitle, html`<p class="error">${t.notFound}</p>`, 404);
    const manifest = await readDiscManifest(disc.isoPath);
    return renderPage(c, deps, t.discTitle(disc.id), discView({ t, timeZone: deps.timeZone, disc, manifest }));
  });
}
