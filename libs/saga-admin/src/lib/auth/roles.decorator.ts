import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AdminRole } from '@nest-saga/contracts';
import type { SagaAdminPrincipal } from '../saga-admin-options.interface.js';

export const REQUIRED_ROLE = 'nest-saga-admin:required-role';

/** The least role a route needs; routes without it need `operator`. */
export const RequireRole = (role: AdminRole | 'public') => SetMetadata(REQUIRED_ROLE, role);
/** No token needed (health). */
export const Public = () => RequireRole('public');
export const ViewerRoute = () => RequireRole('viewer');
export const OperatorRoute = () => RequireRole('operator');

export interface AuthenticatedRequest {
  sagaAdmin?: SagaAdminPrincipal;
}

/** Who acts, as recorded in saga histories: the principal's actor (never a token). */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().sagaAdmin?.actor ?? 'anonymous';
});

/** The caller's principal (role and actor). */
export const Principal = createParamDecorator((_: unknown, ctx: ExecutionContext): SagaAdminPrincipal | undefined => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().sagaAdmin;
});
