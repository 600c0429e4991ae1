import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_HOSTS, isHostAllowed } from '../../../src/fetch/allowlist.ts';

const allowed = (url: string, extra: string[] = []): boolean => isHostAllowed(new URL(url), extra);

describe('isHostAllowed()', () => {
  it('allows Microsoft download hosts over http and https on default ports', () => {
    for (const host of DEFAULT_ALLOWED_HOSTS) {
      expect(allowed(`http://${host}/a.cab`)).toBe(true);
      expect(allowed(`https://${host}/a.cab`)).toBe(true);
    }
    expect(allowed('http://au.download.windowsupdate.com/c/msdownload/x.msu')).toBe(true);
    expect(allowed('HTTP://Download.WindowsUpdate.COM./a.cab')).toBe(true);
  });

  it('refuses look-alike hosts, other ports, schemes and user info', () => {
    expect(allowed('http://evildownload.windowsupdate.com/a.cab')).toBe(false);
    expect(allowed('http://download.windowsupdate.com.evil.test/a.cab')).toBe(false);
    expect(allowed('http://sub.download.microsoft.com/a.cab')).toBe(false);
    expect(allowed('http://download.microsoft.com:8080/a.cab')).toBe(false);
    expect(allowed('ftp://download.microsoft.com/a.cab')).toBe(false);
    expect(allowed('file:///etc/passwd')).toBe(false);
    expect(allowed('http://user:pw@download.microsoft.com/a.cab')).toBe(false);
  });

  it('allows loopback and mirrors only when listed, with or without a port', () => {
    expect(allowed('http://127.0.0.1:8080/a')).toBe(false);
    expect(allowed('http://127.0.0.1:8080/a', ['127.0.0.1'])).toBe(true);
    expect(allowed('http://127.0.0.1:8080/a', ['127.0.0.1:8080'])).toBe(true);
    expect(allowed('http://127.0.0.1:8081/a', ['127.0.0.1:8080'])).toBe(false);
    expect(allowed('http://mirror.example:80/a', ['Mirror.Example:80'])).toBe(true);
    expect(allowed('http://[::1]:9000/a', ['[::1]:9000'])).toBe(true);
    expect(allowed('http://[::1]:9001/a', ['[::1]:9000'])).toBe(false);
  });
});
