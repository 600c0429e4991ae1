/**
 * GET/POST /login (the token form for browsers) and POST /logout. The form is CSRF-protected like
 * every POST, so another site cannot log a browser into a session it chose.
 */
import type { Hono } from 'hono';
import { CSRF_FIELD, csrfOk, LOGIN_PATH, logIn, logOut, safeEqual, safeNext } from '../auth.ts';
import type { ClerkDeps, ClerkEnv } from '../clerk-env.ts';
import type { Messages } from '../i18n.ts';
import { renderPage } from '../render.ts';
import { html, type SafeHtml } from '../views/html.ts';

function loginForm(t: Messages, csrf: string, next: string, error?: string): SafeHtml {
  return html`${error === undefined ? null : html`<p class="error" role="alert">${error}</p>`}
<form method="post" action="${LOGIN_PATH}" class="filters" id="login">
<input type="hidden" name="${CSRF_FIELD}" value="${csrf}">
<input type="hidden" name="next" value="${next}">
<label>${t.loginToken}<input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">${t.loginSubmit}</button>
</form>`;
}

export function registerLoginRoutes(app: Hono<ClerkEnv>, deps: ClerkDeps): void {
  app.get(LOGIN_PATH, (c) => {
    const t = c.get('t');
    if (deps.token === undefined) return c.redirect('/', 303);
    return renderPage(c, deps, t.loginTitle, loginForm(t, c.get('csrf'), safeNext(c.req.query('next'))));
  });

  app.post(LOGIN_PATH, async (c) => {
    const t = c.get('t');
    if (deps.token === undefined) return c.redirect('/', 303);
    if (!(await csrfOk(c))) return renderPage(c, deps, t.forbidden, html`<p class="error" role="alert">${t.csrfFailed}</p>`, 403);
    const form = await c.req.parseBody();
    const next = safeNext(typeof form['next'] === 'string' ? form['next'] : undefined);
    const token = typeof form['token'] === 'string' ? form['token'] : '';
    if (!safeEqual(token, deps.token)) {
      return renderPage(c, deps, t.loginTitle, loginForm(t, c.get('csrf'), next, t.loginFailed), 401);
    }
    logIn(c, deps, deps.token);
    return c.redirect(next, 303);
  });

  app.post('/logout', async (c) => {
    const t = c.get('t');
    if (!(await csrfOk(c))) return renderPage(c, deps, t.forbidden, html`<p class="error" role="alert">${t.csrfFailed}</p>`, 403);
    logOut(c);
    return c.redirect(deps.token === undefined ? '/' : LOGIN_PATH, 303);
  });
}
