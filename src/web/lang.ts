/**
 * Picking the page language: `?lang=en` (or `zh-CN`) switches and is remembered in a cookie;
 * otherwise the cookie; otherwise Simplified Chinese.
 */
import type { MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { ClerkEnv } from './clerk-env.ts';
import { DEFAULT_LANG, messages, parseLang } from './i18n.ts';

export const LANG_COOKIE = 'pd_lang';
/** One year: the choice outlives the browser session. */
const LANG_COOKIE_MAX_AGE = 365 * 24 * 3600;

/** Sets c.var.lang and c.var.t. */
export function langMiddleware(): MiddlewareHandler<ClerkEnv> {
  return async (c, next) => {
    const asked = parseLang(c.req.query('lang'));
    if (asked !== undefined) {
      setCookie(c, LANG_COOKIE, asked, { path: '/', httpOnly: true, sameSite: 'Strict', maxAge: LANG_COOKIE_MAX_AGE });
    }
    const lang = asked ?? parseLang(getCookie(c, LANG_COOKIE)) ?? DEFAULT_LANG;
    c.set('lang', lang);
    c.set('t', messages(lang));
    await next();
  };
}
