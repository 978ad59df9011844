/**
 * Bearer-token auth of the admin API, applied to every route (APP_GUARD). A route states the role it
 * needs with `@ViewerRoute()`, `@OperatorRoute()` or `@Public()`; one that says nothing needs `operator`.
 */
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SAGA_ERROR_CODES, type AdminRole } from '@nest-saga/contracts';
import { ApiException } from '../http/api.exception.js';
import { AdminTokenRegistry, roleSatisfies } from './admin-tokens.js';
import { REQUIRED_ROLE, type AuthenticatedRequest } from './roles.decorator.js';

@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AdminTokenRegistry) private readonly tokens: AdminTokenRegistry,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const required =
      this.reflector.getAllAndOverride<AdminRole | 'public' | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]) ??
      'operator';
    if (required === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & { headers: Record<string, string | string[] | undefined> }>();
    const header = request.headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    const match = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
    if (!match) {
      throw new ApiException(401, SAGA_ERROR_CODES.UNAUTHORIZED, 'Missing bearer token: send "Authorization: Bearer <token>".');
    }
    const role = this.tokens.roleOf(match[1]);
    if (!role) throw new ApiException(401, SAGA_ERROR_CODES.UNAUTHORIZED, 'The bearer token is not valid.');
    request.adminRole = role;
    if (!roleSatisfies(role, required)) {
      throw new ApiException(403, SAGA_ERROR_CODES.FORBIDDEN, `This action needs the ${required} role; your token has the ${role} role.`);
    }
    return true;
  }
}
