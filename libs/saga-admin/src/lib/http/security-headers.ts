/**
 * Headers of the console's pages. The dashboard is opened with `?token=` in its URL: never send that
 * URL on as a Referer, and do not let other sites frame the pages that carry operator actions. Its
 * scripts and styles are its own files, so the policy allows this origin only.
 */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};
