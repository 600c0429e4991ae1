/**
 * Serving the clerk app over HTTP (what `patchdisc serve` runs): loopback by default; any other
 * address only with a token.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { PatchdiscError } from '../errors.ts';
import type { Ledger } from '../ledger/open-ledger.ts';
import { createClerkApp } from './create-app.ts';

export interface ServeClerkOptions {
  ledger: Ledger;
  host: string;
  port: number;
  token?: string;
  now?: () => Date;
}

export interface ClerkServer {
  url: string;
  close(): Promise<void>;
}

/** True for a loopback address or name: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * Throws USAGE when `host` is not loopback and no token is given: the ledger holds customers'
 * addresses and the page can record mailings, so it is never open to a network without a token.
 */
export function assertServeAllowed(host: string, token: string | undefined): void {
  if (host.trim() === '') {
    throw new PatchdiscError('USAGE', 'Cannot serve the clerk page: --host is empty; pass an address such as 127.0.0.1');
  }
  if (!isLoopback(host) && (token === undefined || token === '')) {
    throw new PatchdiscError(
      'USAGE',
      `Cannot serve the clerk page on ${host}: an address other than loopback needs an access token; pass --token <token> or use --host 127.0.0.1`,
      { details: { host } },
    );
  }
}

/** Starts the server (port 0 picks a free one) and resolves once it listens. */
export async function serveClerk(options: ServeClerkOptions): Promise<ClerkServer> {
  assertServeAllowed(options.host, options.token);
  // On loopback without a token, a DNS-rebinding page could otherwise reach us under its own name.
  const allowedHosts = isLoopback(options.host) ? ['127.0.0.1', 'localhost', '::1', options.host.replace(/^\[(.*)\]$/, '$1').toLowerCase()] : undefined;
  const app = createClerkApp({
    ledger: options.ledger,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(allowedHosts === undefined ? {} : { allowedHosts }),
  });
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        new PatchdiscError('USAGE', `Cannot serve the clerk page on ${options.host}:${options.port}: ${err.code ?? err.message}; choose another --port or --host`, {
          cause: err,
          details: { host: options.host, port: options.port },
        }),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
