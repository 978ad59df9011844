/**
 * Checks every request to the console's API before any handler or validation runs: a body must be
 * JSON (415 otherwise, whatever body parser the host installed). Answers about sagas are never
 * cached (they change, and they may be private).
 */
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { ApiException } from './api.exception.js';

interface RequestLike {
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

@Injectable()
export class SagaAdminRequestGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<RequestLike>();
    context.switchToHttp().getResponse<{ setHeader(name: string, value: string): void }>().setHeader('Cache-Control', 'no-store');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const length = Number(request.headers['content-length'] ?? 0);
      const chunked = request.headers['transfer-encoding'] !== undefined;
      const type = String(request.headers['content-type'] ?? '');
      if ((length > 0 || chunked) && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
        throw new ApiException(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON with "Content-Type: application/json".');
      }
    }
    return true;
  }
}
