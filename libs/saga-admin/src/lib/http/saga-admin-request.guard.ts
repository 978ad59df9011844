/**
 * Checks every request to the console's API after auth and before any handler or validation runs:
 * a body must be JSON (415 otherwise, whatever body parser the host installed), and no value in the
 * body, query or path may hold text PostgreSQL cannot store (U+0000, lone surrogates) or nest
 * deeper than 64 levels: a 400 naming the field, so one bad request never reaches a shared write.
 * Answers about sagas are never cached (they change, and they may be private).
 */
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { findUnstorableText, SAGA_ERROR_CODES } from '@nest-saga/contracts';
import { ApiException } from './api.exception.js';

interface RequestLike {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  query?: unknown;
  params?: unknown;
}

/** Headers of every answer of the console's API, errors included. */
export const API_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

@Injectable()
export class SagaAdminRequestGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<RequestLike>();
    const response = http.getResponse<{ setHeader(name: string, value: string): void }>();
    for (const [name, value] of Object.entries(API_RESPONSE_HEADERS)) response.setHeader(name, value);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const length = Number(request.headers['content-length'] ?? 0);
      const chunked = request.headers['transfer-encoding'] !== undefined;
      const type = String(request.headers['content-type'] ?? '');
      if ((length > 0 || chunked) && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
        throw new ApiException(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as JSON with "Content-Type: application/json".');
      }
    }
    for (const part of ['params', 'query', 'body'] as const) {
      const value = request[part];
      if (value === undefined || value === null) continue;
      // Fields are named as the API documents them (`input.items[0].sku`, `reason`, `q`), not by
      // the part of the request that carries them.
      const found =
        typeof value === 'object' && !Array.isArray(value)
          ? Object.entries(value as Record<string, unknown>).reduce<ReturnType<typeof findUnstorableText>>(
              (first, [key, v]) =>
                // A bad key is named by its part of the request, escaped; a good one is the field.
                first ?? (findUnstorableText(key, part) ? findUnstorableText({ [key]: v }, part) : findUnstorableText(v, key)),
              null,
            )
          : findUnstorableText(value, part);
      if (found) throw new ApiException(400, SAGA_ERROR_CODES.VALIDATION_FAILED, found.message, found.path);
    }
    return true;
  }
}
