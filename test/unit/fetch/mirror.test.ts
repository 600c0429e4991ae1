import { describe, expect, it } from 'vitest';
import { applyMirror, mirrorHosts } from '../../../src/fetch/mirror.ts';

describe('applyMirror()', () => {
  const mirrors = { 'download.windowsupdate.com': 'http://127.0.0.1:8081', 'download.microsoft.com': 'https://mirror.lan/ms/' };

  it('fetches the same path from the mirror of the host', () => {
    expect(applyMirror('http://download.windowsupdate.com/d/msdownload/update/x_abc.msu', mirrors)).toBe('http://127.0.0.1:8081/d/msdownload/update/x_abc.msu');
    expect(applyMirror('https://download.microsoft.com/a/b.cab?x=1', mirrors)).toBe('https://mirror.lan/ms/a/b.cab?x=1');
  });

  it('leaves other hosts and non-URLs alone, matching hosts case-insensitively', () => {
    expect(applyMirror('http://catalog.s.download.windowsupdate.com/c/x.cab', mirrors)).toBe('http://catalog.s.download.windowsupdate.com/c/x.cab');
    expect(applyMirror('http://DOWNLOAD.windowsupdate.com/d/x', mirrors)).toBe('http://127.0.0.1:8081/d/x');
    expect(applyMirror('not a url', mirrors)).toBe('not a url');
  });

  it('names the hosts to allow', () => {
    expect(mirrorHosts(mirrors)).toEqual(['127.0.0.1:8081', 'mirror.lan']);
  });
});
