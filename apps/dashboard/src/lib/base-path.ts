/**
 * Where the console is mounted (`/`, `/ops/`, `/v1/saga-admin/`): the server writes it into the
 * page's `<base href>`, so one build works at any path. Pages live under it and the API under
 * `${base}api`.
 */
export function basePath(doc: Document | undefined = globalThis.document): string {
  const href = doc?.querySelector('base')?.getAttribute('href');
  if (!href) return '/';
  try {
    const path = new URL(href, doc!.location?.href ?? 'http://localhost/').pathname;
    return path.endsWith('/') ? path : `${path}/`;
  } catch {
    return '/';
  }
}

/** The router's basename: the base path without its trailing slash (`''`... `/ops`). */
export function routerBasename(doc?: Document): string {
  return basePath(doc).replace(/\/$/, '') || '/';
}

/** The admin API's URL prefix, `${base}api`. */
export function apiBase(doc?: Document): string {
  return `${basePath(doc)}api`;
}
