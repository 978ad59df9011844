/**
 * The operator console as a module any Nest app imports: the admin REST API under `${path}/api` and
 * the dashboard under `${path}/`. The mount path is read from the options when the app starts
 * (RouterModule's routes are a provider here), so `forRootAsync` can take it from configuration.
 * Everything the console binds (auth, validation, error bodies) is bound to its own controllers.
 */
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { RouterModule, type Routes } from '@nestjs/core';
// Not re-exported by the package root; the same module instance RouterModule reads its routes from.
import { ROUTES } from '@nestjs/core/router/router-module.js';
import { BulkActionsController } from './api/bulk-actions.controller.js';
import { HealthController } from './api/health.controller.js';
import { SagaAdminController } from './api/saga-admin.controller.js';
import { SagaInputValidators } from './api/saga-input-validators.js';
import { SagasController } from './api/sagas.controller.js';
import { StepsController } from './api/steps.controller.js';
import { SagaAdminAuthGuard } from './auth/saga-admin-auth.guard.js';
import { SagaAdminConsoleController } from './console/console.controller.js';
import { SAGA_ADMIN_API_MODULE, SagaAdminOpenApiController } from './docs/openapi.controller.js';
import { SagaAdminRequestGuard } from './http/saga-admin-request.guard.js';
import { SagaAdminExceptionFilter } from './http/saga-admin-exception.filter.js';
import {
  SAGA_ADMIN_ASYNC_OPTIONS_TYPE,
  SAGA_ADMIN_MODULE_OPTIONS,
  SAGA_ADMIN_OPTIONS_TYPE,
  SagaAdminConfigurableModule,
} from './saga-admin.module-definition.js';
import type { SagaAdminModuleOptions } from './saga-admin-options.interface.js';
import { resolveSagaAdminOptions, SAGA_ADMIN_RESOLVED_OPTIONS, type ResolvedSagaAdminOptions } from './saga-admin.options.js';

/** The REST API's controllers, mounted at `${path}/api`. */
@Module({ controllers: [SagasController, SagaAdminController, BulkActionsController, StepsController, HealthController, SagaAdminOpenApiController] })
export class SagaAdminApiModule {}

/** The dashboard and the API's 404 for unknown routes, mounted at `${path}`; imported last. */
@Module({ controllers: [SagaAdminConsoleController] })
export class SagaAdminConsoleModule {}

function join(...parts: string[]): string {
  return `/${parts.filter(Boolean).join('/')}`;
}

const shared: Provider[] = [
  {
    provide: SAGA_ADMIN_RESOLVED_OPTIONS,
    inject: [SAGA_ADMIN_MODULE_OPTIONS],
    useFactory: (options: SagaAdminModuleOptions) => resolveSagaAdminOptions(options),
  },
  { provide: SAGA_ADMIN_API_MODULE, useValue: SagaAdminApiModule },
  SagaInputValidators,
  SagaAdminAuthGuard,
  SagaAdminRequestGuard,
  SagaAdminExceptionFilter,
];

const routes: DynamicModule = {
  module: RouterModule,
  providers: [
    {
      provide: ROUTES,
      inject: [SAGA_ADMIN_RESOLVED_OPTIONS],
      useFactory: (options: ResolvedSagaAdminOptions): Routes => [
        { path: join(options.mount, 'api'), module: SagaAdminApiModule },
        { path: join(options.mount), module: SagaAdminConsoleModule },
      ],
    },
  ],
};

/**
 * ```ts
 * SagaAdminModule.forRoot({ path: '/ops', auth: { tokens: process.env.SAGA_ADMIN_TOKENS! } })
 * ```
 * Import it once, next to `SagaModule`. It is global, so any module may inject `SagaInputValidators`
 * (to give a saga's input a class-validator DTO) or use `SagaAdminAuthGuard` on its own routes.
 */
@Module({})
export class SagaAdminModule extends SagaAdminConfigurableModule {
  static forRoot(options: typeof SAGA_ADMIN_OPTIONS_TYPE): DynamicModule {
    return SagaAdminModule.withRoutes(super.forRoot(options));
  }

  static forRootAsync(options: typeof SAGA_ADMIN_ASYNC_OPTIONS_TYPE): DynamicModule {
    return SagaAdminModule.withRoutes(super.forRootAsync(options));
  }

  private static withRoutes(base: DynamicModule): DynamicModule {
    return {
      ...base,
      global: true,
      // Order matters: Express matches routes in the order modules register them, and the console's
      // catch-all paths must come after the API's routes.
      imports: [...(base.imports ?? []), SagaAdminApiModule, SagaAdminConsoleModule, routes],
      providers: [...(base.providers ?? []), ...shared],
      exports: [SAGA_ADMIN_RESOLVED_OPTIONS, SAGA_ADMIN_API_MODULE, SagaInputValidators, SagaAdminAuthGuard, SagaAdminRequestGuard, SagaAdminExceptionFilter],
    };
  }
}
