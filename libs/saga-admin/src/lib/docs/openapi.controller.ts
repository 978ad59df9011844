/**
 * The API's OpenAPI document, generated from its own controllers and DTOs, and a Swagger UI page at
 * `${path}/api/docs`. The page keeps no token in storage (the operator types it for this page only)
 * and loads nothing inline, so the console's Content-Security-Policy holds here too.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Controller, Get, Inject, Req, Res, UseFilters } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { ApiExcludeController, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { ApiException } from '../http/api.exception.js';
import { SagaAdminExceptionFilter } from '../http/saga-admin-exception.filter.js';
import { DASHBOARD_SECURITY_HEADERS } from '../http/security-headers.js';
import { SAGA_ADMIN_RESOLVED_OPTIONS, type ResolvedSagaAdminOptions } from '../saga-admin.options.js';
import { ErrorBodyModel } from './api-models.js';

/** Set by the module: which module's controllers the document describes. */
export const SAGA_ADMIN_API_MODULE = Symbol('SAGA_ADMIN_API_MODULE');

const UI_FILES: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css',
  'swagger-ui-bundle.js': 'application/javascript',
};

const INIT_SCRIPT = `window.addEventListener('load', function () {
  var page = window.location.pathname.replace(/\\/+$/, '');
  window.ui = SwaggerUIBundle({
    url: page + '-json',
    dom_id: '#swagger-ui',
    persistAuthorization: false,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
`;

function swaggerUiDir(): string {
  const require = createRequire(import.meta.url);
  // swagger-ui-dist comes with @nestjs/swagger: look it up from there, wherever npm placed it.
  const fromSwagger = createRequire(require.resolve('@nestjs/swagger'));
  return dirname(fromSwagger.resolve('swagger-ui-dist/package.json'));
}

interface Req {
  path: string;
}
interface Res {
  setHeader(name: string, value: string): void;
  type(t: string): Res;
  send(body: string | Buffer): void;
}

@ApiExcludeController()
@UseFilters(SagaAdminExceptionFilter)
@Controller()
export class SagaAdminOpenApiController {
  private document?: OpenAPIObject;
  private uiDir?: string;

  constructor(
    @Inject(SAGA_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedSagaAdminOptions,
    @Inject(SAGA_ADMIN_API_MODULE) private readonly apiModule: Function,
    private readonly modules: ModulesContainer,
    private readonly config: ApplicationConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('docs')
  page(@Req() req: Req, @Res() res: Res): void {
    this.ensureEnabled();
    const base = req.path.replace(/\/+$/, '');
    for (const [name, value] of Object.entries(DASHBOARD_SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nest Saga admin API</title>
<link rel="stylesheet" href="${base}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="${base}/swagger-ui-bundle.js"></script>
<script src="${base}/swagger-ui-init.js"></script>
</body></html>`);
  }

  @Get('docs/swagger-ui-init.js')
  init(@Res() res: Res): void {
    this.ensureEnabled();
    res.type('application/javascript').send(INIT_SCRIPT);
  }

  @Get(Object.keys(UI_FILES).map((name) => `docs/${name}`))
  asset(@Req() req: Req, @Res() res: Res): void {
    this.ensureEnabled();
    const name = req.path.slice(req.path.lastIndexOf('/') + 1);
    this.uiDir ??= swaggerUiDir();
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type(UI_FILES[name]).send(readFileSync(join(this.uiDir, name)));
  }

  @Get('docs-json')
  json(): OpenAPIObject {
    this.ensureEnabled();
    this.document ??= this.build();
    return this.document;
  }

  private ensureEnabled(): void {
    if (!this.options.openApi) throw new ApiException(404, SAGA_ERROR_CODES.NOT_FOUND, 'The OpenAPI page is turned off (openApi: false).');
  }

  private build(): OpenAPIObject {
    const config = new DocumentBuilder()
      .setTitle('Nest Saga admin API')
      .setDescription(
        'Inspect and operate durable sagas. Send `Authorization: Bearer <token>` (or what the host accepts); ' +
          '`viewer` reads, `operator` also acts. Errors are `{ statusCode, code, message, field? }`.',
      )
      .setVersion('0.1.0')
      .addBearerAuth()
      .build();
    // The scanner reads the application's module container and global prefix; these are the same
    // objects the application holds, reached through public injectables.
    const app = {
      container: { getModules: () => this.modules, isGlobalModule: () => false },
      config: this.config,
      getHttpAdapter: () => this.adapterHost.httpAdapter,
      getGlobalPrefix: () => this.config.getGlobalPrefix(),
    };
    return SwaggerModule.createDocument(app as never, config, { include: [this.apiModule, ...this.options.openApiInclude], extraModels: [ErrorBodyModel] });
  }
}
