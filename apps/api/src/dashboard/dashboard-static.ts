/**
 * Serves the built dashboard at `/`: its files as they are, and `index.html` for any other GET that
 * is not an API route (client-side routes such as `/sagas/:id` are links operators share).
 * When the dashboard is not built, those routes answer a short page that says how to build it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** `apps/dashboard/dist`, found from this file (`apps/api/{src,dist}/dashboard/`), whatever the cwd. */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL('../../../dashboard/dist', import.meta.url));
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Saga dashboard not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}code{background:#eee;padding:.1rem .3rem}</style>
</head><body>
<h1>The dashboard is not built</h1>
<p>The API is running at <a href="/api/docs">/api/docs</a>, but <code>apps/dashboard/dist</code> does not exist.</p>
<p>Build it with <code>npm run build</code> (or <code>npx nx run dashboard:build</code>) at the repository root and reload this page,
or simply run <code>npm start</code>, which builds everything first.</p>
</body></html>`;

interface Req {
  method: string;
  path: string;
}
interface Res {
  status(code: number): Res;
  type(t: string): Res;
  send(body: string): void;
  sendFile(path: string, options: object, cb: (err?: Error) => void): void;
  setHeader(name: string, value: string): void;
}

/** True for paths the dashboard must leave to the API (and to the 404 of the API). */
function isServerRoute(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === '/metrics' || path.startsWith('/metrics/');
}

export function serveDashboard(app: NestExpressApplication, dir: string): { built: boolean } {
  const index = join(dir, 'index.html');
  const built = existsSync(index);
  if (built) {
    // Hashed assets may be cached for long; index.html must not be, so a new build shows at once.
    app.useStaticAssets(dir, {
      index: false,
      setHeaders: (res: { setHeader(n: string, v: string): void }, path: string) => {
        if (path.includes(`${join(dir, 'assets')}`)) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      },
    });
  }
  app.use((req: Req, res: Res, next: () => void) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isServerRoute(req.path)) return next();
    // A missing file (`/assets/x.js`) is a 404, not the app's HTML.
    const last = req.path.slice(req.path.lastIndexOf('/') + 1);
    if (last.includes('.') && last !== 'index.html') return next();
    if (!built) {
      res.status(200).type('html').send(NOT_BUILT_PAGE);
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index, {}, (err) => {
      if (err) next();
    });
  });
  return { built };
}
