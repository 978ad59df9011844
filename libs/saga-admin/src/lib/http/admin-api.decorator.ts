import { applyDecorators, Controller, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { SagaAdminAuthGuard } from '../auth/saga-admin-auth.guard.js';
import { SagaAdminRequestGuard } from './saga-admin-request.guard.js';
import { SagaAdminExceptionFilter } from './saga-admin-exception.filter.js';
import { createValidationPipe } from './validation.js';

/**
 * A controller of the console's API: its own auth, request checks, validation and error bodies,
 * whatever the host set globally, so mounting the console changes nothing of the host's routes.
 */
export function AdminApiController(path = ''): ClassDecorator {
  return applyDecorators(
    Controller(path),
    UseGuards(SagaAdminAuthGuard, SagaAdminRequestGuard),
    UseFilters(SagaAdminExceptionFilter),
    UsePipes(createValidationPipe()),
  );
}
