import type { FastifyRequest } from 'fastify';

/**
 * Whether a browser says this request came from another site (issue 16, finding 9; ASVS
 * V3.5). The CSRF token stays the first defence; this refuses, as well, what a browser
 * marks as foreign, whatever it carries. The same steps as Go's CrossOriginProtection:
 *
 * - `Sec-Fetch-Site` (set by the browser; a page's script cannot): `same-origin` and
 *   `none` (typed in, a bookmark) pass; `same-site` (a sibling subdomain) and
 *   `cross-site` do not, nor does anything else.
 * - Without it (an older browser), `Origin` must be this server's own origin: the
 *   request's protocol and host, through the trusted proxy's X-Forwarded-* when behind one.
 *   `Origin: null` (a sandboxed frame, a file, a redirect from elsewhere) is foreign.
 * - With neither, the caller is not a browser (a script, curl): the CSRF token decides.
 */
export function browserSaysCrossSite(
  headers: { readonly secFetchSite?: string | undefined; readonly origin?: string | undefined },
  ownOrigin: string,
): boolean {
  const site = headers.secFetchSite?.trim().toLowerCase();
  if (site !== undefined && site !== '') return site !== 'same-origin' && site !== 'none';
  if (headers.origin === undefined) return false;
  const theirs = originOf(headers.origin.trim());
  const ours = originOf(ownOrigin);
  return theirs === undefined || ours === undefined || theirs !== ours;
}

/** The request's own origin, as a browser on this server's page would send it. */
export function ownOriginOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function requestComesFromAnotherSite(request: FastifyRequest): boolean {
  return browserSaysCrossSite(
    { secFetchSite: headerValue(request, 'sec-fetch-site'), origin: headerValue(request, 'origin') },
    ownOriginOf(request),
  );
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  // A header sent twice is not something a browser does: keep both, so neither matches.
  return Array.isArray(value) ? value.join(', ') : value;
}

/** An origin as scheme://host[:port], default ports dropped; undefined for `null` or anything else. */
function originOf(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  const bare =
    url.username === '' &&
    url.password === '' &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '';
  return bare && (url.protocol === 'http:' || url.protocol === 'https:') ? url.origin : undefined;
}
