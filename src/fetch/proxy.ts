import { EnvHttpProxyAgent } from 'undici';
import type { Dispatcher } from 'undici';

/** Lowercase first, as curl and undici read them (uppercase HTTP_PROXY may be set by CGI: "httpoxy"). */
function pick(env: Record<string, string | undefined>, name: string): string {
  return env[name.toLowerCase()] ?? env[name.toUpperCase()] ?? '';
}

/**
 * An undici dispatcher honouring HTTPS_PROXY / HTTP_PROXY / NO_PROXY from `env` (the caller passes
 * process.env; this module never reads it), or undefined when no proxy variable is set. http:// URLs
 * go to the proxy as absolute-URI requests (many proxies refuse CONNECT to port 80), https:// URLs
 * through a CONNECT tunnel. `tunnelHttp` tunnels http:// too.
 */
export function createProxyDispatcher(
  env: Record<string, string | undefined>,
  options: { tunnelHttp?: boolean } = {},
): Dispatcher | undefined {
  const httpProxy = pick(env, 'http_proxy');
  const httpsProxy = pick(env, 'https_proxy');
  if (httpProxy === '' && httpsProxy === '') return undefined;
  // Empty strings, not undefined: undici falls back to process.env for options left undefined.
  return new EnvHttpProxyAgent({
    httpProxy,
    httpsProxy,
    noProxy: pick(env, 'no_proxy'),
    proxyTunnel: options.tunnelHttp ?? false,
  });
}
