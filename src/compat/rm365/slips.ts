/**
 * RM365's client URL slips (helenrm365/rm365-tools-testing @011aebb): its `http()` base already
 * ends in `/api`, yet the inventory management screen and the sales-data filters prefix
 * `/api/v1/…` again (`/api/api/v1/…`), while its raw `fetch()` downloads and uploads use the
 * origin without `/api` (`/v1/labels/job/{id}/pdf|csv`, `/v1/salesdata/{region}/upload`). Each
 * intended path is unambiguous, so the request is rewritten to it before anything else sees it:
 * routing, the guard, the error surface, idempotency keys and the log all see the canonical
 * path, and a slipped URL is answered (or refused) exactly as the canonical one. Only these
 * prefixes are rewritten; no Floorline route lives under them.
 */
const SLIPS: readonly (readonly [slipped: string, canonical: string])[] = [
  ["/api/api/v1/", "/api/v1/"],
  ["/v1/labels/", "/api/v1/labels/"],
  ["/v1/salesdata/", "/api/v1/salesdata/"],
];

/** The canonical URL for a slipped RM365 URL, or null when the URL did not slip. */
export function rm365CanonicalUrl(url: string): string | null {
  // A request's URL is absolute and serialised (its authority holds no "/"): its path starts at
  // the first "/" after "//". Only a slipped one is parsed (every request passes here).
  const path = url.indexOf("/", url.indexOf("//") + 2);
  if (path < 0 || !SLIPS.some(([slipped]) => url.startsWith(slipped, path))) return null;
  const parsed = new URL(url);
  for (const [slipped, canonical] of SLIPS) {
    if (parsed.pathname.startsWith(slipped)) {
      parsed.pathname = canonical + parsed.pathname.slice(slipped.length);
      return parsed.toString();
    }
  }
  return null;
}

/** The request to route: the same request at its canonical URL when RM365's client slipped. */
export function rm365Unslip(request: Request): Request {
  const canonical = rm365CanonicalUrl(request.url);
  return canonical ? new Request(canonical, request) : request;
}
