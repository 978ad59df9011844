/**
 * Auth of the console's API, bound to its own controllers (never to the host's routes). A route states
 * the role it needs with `@ViewerRoute()`, `@OperatorRoute()` or `@Public()`; one that says nothing
 * needs `operator`. Hosts may put it on their own routes too (`@UseGuards(SagaAdminAuthGuard)`).
 */
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SAGA_ERROR_CODES, type AdminRole } from '@nest-saga/contracts';
import { ApiException } from '../http/api.exception.js';
import { SAGA_ADMIN_RESOLVED_OPTIONS, type ResolvedSagaAdminOptions } from '../saga-admin.options.js';
import type { SagaAdminRequest } from '../saga-admin-options.interface.js';
import { roleSatisfies } from './admin-tokens.js';
import { REQUIRED_ROLE, type AuthenticatedRequest } from './roles.decorator.js';

@Injectable()
export class SagaAdminAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(SAGA_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedSagaAdminOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required =
      this.reflector.getAllAndOverride<AdminRole | 'public' | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]) ??
      'operator';
    if (required === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & SagaAdminRequest>();
    const principal = await this.options.authenticate(request);
    if (!principal) {
      const sent = request.headers.authorization !== undefined;
      throw new ApiException(
        401,
        SAGA_ERROR_CODES.UNAUTHORIZED,
        sent ? 'The credentials are not valid.' : 'Missing credentials: send "Authorization: Bearer <token>".',
      );
    }
    request.sagaAdmin = principal;
    if (!roleSatisfies(principal.role, required)) {
      throw new ApiException(403, SAGA_ERROR_CODES.FORBIDDEN, `This action needs the ${required} role; you have the ${principal.role} role.`);
    }
    return true;
  }
}
