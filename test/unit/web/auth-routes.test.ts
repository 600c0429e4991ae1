import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { listShipments } from '../../../src/ledger/shipments.ts';
import { createClerkApp } from '../../../src/web/create-app.ts';
import { assertServeAllowed } from '../../../src/web/serve-clerk.ts';
import { NOW, withSeededLedger } from './clerk-fixture.ts';

const TOKEN = 'correct-horse-battery-staple';
const SECRET = new Uint8Array(32).fill(7);

type App = ReturnType<typeof createClerkApp>;

/** name=value pairs of the Set-Cookie headers of `res`, merged over `jar`. */
function cookies(res: Response, jar: Record<string, string> = {}): Record<string, string> {
  const out = { ...jar };
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = (pair ?? '').indexOf('=');
    out[(pair ?? '').slice(0, eq)] = (pair ?? '').slice(eq + 1);
  }
  return out;
}

function cookieHeader(jar: Record<string, string>): string {
  return Object.entries(jar)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

function hiddenCsrf(page: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no CSRF field in page');
  return m[1] as string;
}

/** Logs in through the form; returns the cookie jar of the logged-in session. */
async function logIn(app: App): Promise<Record<string, string>> {
  const form = await app.request('/login');
  let jar = cookies(form);
  const res = await app.request('/login', {
    method: 'POST',
    headers: { cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: hiddenCsrf(await form.text()), token: TOKEN, next: '/shipments' }).toString(),
  });
  expect(res.status).toBe(303);
  jar = cookies(res, jar);
  return jar;
}

function post(app: App, path: string, jar: Record<string, string>, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: 'POST',
    headers: { cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

describe('token', () => {
  it('is required on every page when configured: browsers go to the login form, others get 401', async () => {
    await withSeededLedger(async ({ ledger }) => {
      const app = createClerkApp({ ledger, token: TOKEN, now: () => NOW });
      for (const path of ['/shipments', '/shipments.csv', '/subscribers', '/builds', '/discs/1']) {
        const res = await app.request(path);
        expect(res.status, path).toBe(303);
        expect(res.headers.get('location'), path).toBe(`/login?next=${encodeURIComponent(path)}`);
      }
      const wrong = await app.request('/shipments', { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      expect(await wrong.text()).not.toContain('ACME-01');
      const ok = await app.request('/shipments', { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('ACME-01');
      const forged = await app.request('/shipments', { headers: { cookie: `pd_sid=${'a'.repeat(43)}; pd_auth=${TOKEN}` } });
      expect(forged.status).toBe(303);
    });
  });

  it('login form sets an HttpOnly SameSite=Strict cookie that opens the pages; a wrong token is refused', async () => {
    await withSeededLedger(async ({ ledger }) => {
      const app = createClerkApp({ ledger, token: TOKEN, now: () => NOW, secret: SECRET });
      const form = await app.request('/login');
      const jar = cookies(form);
      const csrf = hiddenCsrf(await form.text());
      const bad = await post(app, '/login', jar, { _csrf: csrf, token: 'guess', next: '/builds' });
      expect(bad.status).toBe(401);
      expect(bad.headers.getSetCookie().some((c) => c.startsWith('pd_auth='))).toBe(false);
      const good = await post(app, '/login', jar, { _csrf: csrf, token: TOKEN, next: '/builds' });
      expect(good.status).toBe(303);
      expect(good.headers.get('location')).toBe('/builds');
      const auth = good.headers.getSetCookie().find((c) => c.startsWith('pd_auth='));
      expect(auth).toMatch(/HttpOnly/);
      expect(auth).toMatch(/SameSite=Strict/);
      expect(auth).not.toContain(TOKEN);
      const sid = good.headers.getSetCookie().find((c) => c.startsWith('pd_sid='));
      expect(sid).toMatch(/HttpOnly/);
      expect(sid).toMatch(/SameSite=Strict/);
      const session = cookies(good, jar);
      expect(session['pd_sid']).not.toBe(jar['pd_sid']); // a new session id after login
      const page = await app.request('/builds', { headers: { cookie: cookieHeader(session) } });
      expect(page.status).toBe(200);
      const offsite = await post(app, '/login', jar, { _csrf: csrf, token: TOKEN, next: '//evil.example/' });
      expect(offsite.headers.get('location')).toBe('/');
      const noCsrf = await post(app, '/login', jar, { token: TOKEN });
      expect(noCsrf.status).toBe(403);
    });
  });
});

describe('POST /shipments/:id/mark', () => {
  it('is refused with 403 and how to enable it when serve has no token', async () => {
    await withSeededLedger(async ({ ledger, shipments }) => {
      const app = createClerkApp({ ledger, now: () => NOW });
      const form = await app.request(`/shipments/${shipments.acme3}`);
      const jar = cookies(form);
      const page = await form.text();
      expect(page).not.toContain('id="mark"');
      const res = await post(app, `/shipments/${shipments.acme3}/mark`, jar, { status: 'mailed', tracking: 'SF1234567890' });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('--token');
      const { rows } = await listShipments(ledger, { subscriber: 'ACME-01', week: '2025-W03' });
      expect(rows[0]?.status).toBe('prepared');
    });
  });

  it('needs the CSRF token: without it 403, with it 303 and the shipment is mailed with its tracking number', async () => {
    await withSeededLedger(async ({ ledger, shipments }) => {
      const app = createClerkApp({ ledger, token: TOKEN, now: () => NOW });
      const jar = await logIn(app);
      const detail = await app.request(`/shipments/${shipments.acme3}`, { headers: { cookie: cookieHeader(jar) } });
      const csrf = hiddenCsrf(await detail.text());
      const path = `/shipments/${shipments.acme3}/mark`;
      const fields = { status: 'mailed', tracking: 'SF1234567890' };

      expect((await post(app, path, jar, fields)).status).toBe(403);
      expect((await post(app, path, jar, { ...fields, _csrf: 'x'.repeat(43) })).status).toBe(403);
      expect((await post(app, path, jar, { ...fields, _csrf: csrf }, { origin: 'http://evil.example' })).status).toBe(403);
      expect((await post(app, path, jar, { ...fields, _csrf: csrf }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
      const other = await app.request('/login');
      expect((await post(app, path, { ...jar, pd_sid: cookies(other)['pd_sid'] as string }, { ...fields, _csrf: csrf })).status).toBe(401); // the auth cookie belongs to another session
      expect((await listShipments(ledger, { subscriber: 'ACME-01', week: '2025-W03' })).rows[0]?.status).toBe('prepared');

      const res = await post(app, path, jar, { ...fields, _csrf: csrf }, { origin: 'http://localhost', 'sec-fetch-site': 'same-origin' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/shipments/${shipments.acme3}?done=mailed`);
      const row = (await listShipments(ledger, { subscriber: 'ACME-01', week: '2025-W03' })).rows[0];
      expect(row).toMatchObject({ status: 'mailed', tracking: 'SF1234567890', mailedAt: NOW.toISOString() });
      const after = await (await app.request(res.headers.get('location') as string, { headers: { cookie: cookieHeader(jar) } })).text();
      expect(after).toContain('已登记：已寄出');
      expect(after).toContain('<dd id="tracking">SF1234567890</dd>');
    });
  });

  it('shows a ledger refusal (bad tracking number, impossible transition) as 400 without changing the shipment', async () => {
    await withSeededLedger(async ({ ledger, shipments }) => {
      const app = createClerkApp({ ledger, token: TOKEN, now: () => NOW });
      const jar = await logIn(app);
      const csrf = hiddenCsrf(await (await app.request(`/shipments/${shipments.beta3}`, { headers: { cookie: cookieHeader(jar) } })).text());
      const path = `/shipments/${shipments.beta3}/mark`;
      const bad = await post(app, path, jar, { _csrf: csrf, status: 'mailed', tracking: '<img src=x>' });
      expect(bad.status).toBe(400);
      const page = await bad.text();
      expect(page).toContain('&lt;img src=x&gt;');
      expect(page).not.toContain('<img src=x>');
      expect((await post(app, path, jar, { _csrf: csrf, status: 'delivered' })).status).toBe(400);
      expect((await post(app, path, jar, { _csrf: csrf, status: 'prepared' })).status).toBe(400);
      expect((await post(app, '/shipments/99999/mark', jar, { _csrf: csrf, status: 'mailed' })).status).toBe(404);
      expect((await listShipments(ledger, { subscriber: 'BETA-02' })).rows[0]?.status).toBe('prepared');
    });
  });
});

describe('assertServeAllowed()', () => {
  it('allows loopback without a token and refuses any other address without one (USAGE)', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.5']) expect(() => assertServeAllowed(host, undefined)).not.toThrow();
    for (const host of ['0.0.0.0', '192.168.1.10', '::', 'clerk.example.cn']) {
      let err: unknown;
      try {
        assertServeAllowed(host, undefined);
      } catch (e) {
        err = e;
      }
      expect(isPatchdiscError(err, 'USAGE'), host).toBe(true);
      expect((err as Error).message).toContain('--token');
      expect(() => assertServeAllowed(host, '')).toThrow();
      expect(() => assertServeAllowed(host, TOKEN)).not.toThrow();
    }
  });
});
