/**
 * Serves the built dashboard under the mount path: its files as they are, and `index.html` (with a
 * `<base href>` for wherever it is mounted, global prefix included) for any other page, so client
 * routes such as `sagas/:id` are links operators can share. The base is taken from each request,
 * so one build works at any path, set at run time. Unknown paths under `api/` answer the API's 404.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { All, Controller, Get, Inject, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { ApiException } from '../http/api.exception.js';
import { SagaAdminExceptionFilter } from '../http/saga-admin-exception.filter.js';
import { SAGA_ADMIN_RESOLVED_OPTIONS, type ResolvedSagaAdminOptions } from '../saga-admin.options.js';
import { DASHBOARD_SECURITY_HEADERS } from '../http/security-headers.js';

/** The dashboard shipped in this package (`dist/console`), found from this file in `src/` or `dist/`. */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL('../../../dist/console', import.meta.url));
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Saga dashboard not built</title></head><body>
<h1>The dashboard is not built</h1>
<p>The admin API is running under <code>api/</code>, but the dashboard files were not found.</p>
<p>In the project's repository, build it with <code>npm run build</code> at the root and reload this page.</p>
</body></html>`;

interface Req {
  method: string;
  path: string;
  params: Record<string, string | string[] | undefined>;
}
interface Res {
  status(code: number): Res;
  type(t: string): Res;
  send(body: string): void;
  sendFile(path: string, options: object, cb: (err?: Error) => void): void;
  setHeader(name: string, value: string): void;
  headersSent: boolean;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

@ApiExcludeController()
@UseFilters(SagaAdminExceptionFilter)
@Controller()
export class SagaAdminConsoleController {
  private readonly dir: string;
  private readonly built: boolean;
  private indexHtml?: string;

  constructor(@Inject(SAGA_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedSagaAdminOptions) {
    this.dir = resolve(options.dashboardDir ?? defaultDashboardDir());
    this.built = existsSync(join(this.dir, 'index.html'));
  }

  /** Any method on an unknown path under the API: the API's own 404 body, never the dashboard. */
  @All(['api', 'api/*rest'])
  unknownApiRoute(@Req() req: Req): never {
    throw new ApiException(404, SAGA_ERROR_CODES.NOT_FOUND, `No route ${req.method} ${req.path}.`);
  }

  @Get()
  root(@Req() req: Req, @Res() res: Res): void {
    this.page(req.path.endsWith('/') ? req.path : `${req.path}/`, res);
  }

  @Get('*path')
  file(@Req() req: Req, @Res() res: Res): void {
    const raw = req.params.path;
    const segments = (Array.isArray(raw) ? raw : String(raw ?? '').split('/')).filter(Boolean);
    const requestSegments = req.path.split('/');
    if (req.path.endsWith('/')) requestSegments.pop();
    const base = `${requestSegments.slice(0, requestSegments.length - segments.length).join('/')}/`;
    const last = segments[segments.length - 1] ?? '';
    if (!last.includes('.')) return this.page(base, res);
    // A file: served only from inside the dashboard folder, never a source map.
    const target = resolve(this.dir, ...segments);
    const isFile = this.options.dashboard && this.built && target.startsWith(this.dir + sep) && !target.endsWith('.map') && existsSync(target) && statSync(target).isFile();
    if (!isFile) throw new ApiException(404, SAGA_ERROR_CODES.NOT_FOUND, `No file ${req.path}.`);
    if (segments[0] === 'assets') res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.sendFile(target, { dotfiles: 'deny' }, (err) => {
      if (err && !res.headersSent) res.status(404).type('json').send(JSON.stringify({ statusCode: 404, code: SAGA_ERROR_CODES.NOT_FOUND, message: `No file ${req.path}.` }));
    });
  }

  private page(base: string, res: Res): void {
    if (!this.options.dashboard) throw new ApiException(404, SAGA_ERROR_CODES.NOT_FOUND, 'The dashboard is turned off (dashboard: false).');
    for (const [name, value] of Object.entries(DASHBOARD_SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader('Cache-Control', 'no-cache');
    if (!this.built) {
      res.status(200).type('html').send(NOT_BUILT_PAGE);
      return;
    }
    // Read once: a new dashboard build ships with a new version of the package, hence a restart.
    this.indexHtml ??= readFileSync(join(this.dir, 'index.html'), 'utf8').replace(/<base\b[^>]*>\s*/i, '');
    const tag = `<base href="${escapeAttribute(base)}">`;
    const html = /<head[^>]*>/i.test(this.indexHtml) ? this.indexHtml.replace(/<head[^>]*>/i, (head) => `${head}${tag}`) : `${tag}${this.indexHtml}`;
    res.status(200).type('html').send(html);
  }
}
