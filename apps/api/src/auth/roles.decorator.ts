import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AdminRole } from '@nest-saga/contracts';

export const REQUIRED_ROLE = 'nest-saga-api:required-role';

/** The least role a route needs; routes without it need `operator`. */
export const RequireRole = (role: AdminRole | 'public') => SetMetadata(REQUIRED_ROLE, role);
/** No token needed (health, metrics). */
export const Public = () => RequireRole('public');
export const ViewerRoute = () => RequireRole('viewer');
export const OperatorRoute = () => RequireRole('operator');

export interface AuthenticatedRequest {
  adminRole?: AdminRole;
}

/** Who acts, as recorded in saga histories: the role of the caller's token (never the token). */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  return ctx.switchToHttp().getRequest<AuthenticatedRequest>().adminRole ?? 'anonymous';
});
