// Public API of @nest-saga/admin. Everything not exported here is internal.
export { SagaAdminModule } from './lib/saga-admin.module.js';
export { SAGA_ADMIN_MODULE_OPTIONS } from './lib/saga-admin.module-definition.js';
export type {
  SagaAdminModuleOptions,
  SagaAdminAuthOptions,
  SagaAdminTokenAuth,
  SagaAdminCallbackAuth,
  SagaAdminPrincipal,
  SagaAdminRequest,
} from './lib/saga-admin-options.interface.js';
export { DEFAULT_SAGA_ADMIN_PATH } from './lib/saga-admin.options.js';
export { SagaInputValidators } from './lib/api/saga-input-validators.js';
export { SagaAdminAuthGuard } from './lib/auth/saga-admin-auth.guard.js';
export { Public, ViewerRoute, OperatorRoute, Actor, Principal } from './lib/auth/roles.decorator.js';
export { parseAdminTokens } from './lib/auth/admin-tokens.js';
export type { AdminToken } from './lib/auth/admin-tokens.js';
export { SagaAdminExceptionFilter } from './lib/http/saga-admin-exception.filter.js';
export { ApiException } from './lib/http/api.exception.js';
export { DASHBOARD_SECURITY_HEADERS } from './lib/http/security-headers.js';
export { defaultDashboardDir as sagaAdminDashboardDir } from './lib/console/console.controller.js';
