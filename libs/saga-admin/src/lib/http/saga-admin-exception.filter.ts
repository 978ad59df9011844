/**
 * The one place the console's errors become HTTP answers (bound to its controllers; a host may also
 * make it global, as the demo app does). Library errors map by their stable `code`; everything
 * the client did not cause is a 500 (or 503 when the database is down) with a generic message:
 * stacks, SQL and driver messages go to the log, never into the body.
 */
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { SAGA_ERROR_CODES, type ApiErrorBody } from '@nest-saga/contracts';
import { SagaError, SagaExceptionFilter } from '@nest-saga/saga';
import { ApiException } from './api.exception.js';
import { API_RESPONSE_HEADERS } from './saga-admin-request.guard.js';

const HTTP_CODES: Readonly<Record<number, string>> = {
  400: SAGA_ERROR_CODES.VALIDATION_FAILED,
  401: SAGA_ERROR_CODES.UNAUTHORIZED,
  403: SAGA_ERROR_CODES.FORBIDDEN,
  404: SAGA_ERROR_CODES.NOT_FOUND,
  413: SAGA_ERROR_CODES.PAYLOAD_TOO_LARGE,
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: SAGA_ERROR_CODES.DATABASE_UNAVAILABLE,
};

const DB_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300', '3D000']);

/** True for errors that mean "the database cannot be reached right now", not "the query is wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (DB_DOWN_CODES.has(code) || code.startsWith('08'))) return true;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /Connection terminated|connection timeout|timeout exceeded when trying to connect|Driver not Connected|Connection is not established/i.test(message)) {
      return true;
    }
  }
  return false;
}

function upperSnake(text: string): string {
  return text.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '');
}

@Catch()
export class SagaAdminExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');
  private readonly sagaErrors = new SagaExceptionFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<{
      headersSent: boolean;
      status(code: number): { json(body: unknown): void };
      setHeader(name: string, value: string): void;
    }>();
    const request = http.getRequest<{ method?: string; originalUrl?: string; url?: string }>();
    const body = this.toBody(exception, request);
    if (response.headersSent) return;
    for (const [name, value] of Object.entries(API_RESPONSE_HEADERS)) response.setHeader(name, value);
    if (body.statusCode === 401) response.setHeader('WWW-Authenticate', 'Bearer');
    // Pool exhausted or database down: the client may try again; say when.
    if (body.statusCode === 503) response.setHeader('Retry-After', '1');
    response.status(body.statusCode).json(body);
  }

  toBody(exception: unknown, request: { method?: string; originalUrl?: string; url?: string }): ApiErrorBody {
    if (exception instanceof ApiException) return exception.getResponse() as ApiErrorBody;
    // The library's own mapping: one table of codes and statuses for hosts and for the console.
    if (exception instanceof SagaError) return this.sagaErrors.toBody(exception, request);
    if (exception instanceof HttpException) return this.fromHttpException(exception);
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`${request.method} ${request.originalUrl ?? request.url}: the database is unavailable (${(exception as Error).message})`);
      return {
        statusCode: 503,
        code: SAGA_ERROR_CODES.DATABASE_UNAVAILABLE,
        message: 'The database is unavailable. Nothing was changed; try again shortly.',
      };
    }
    this.logger.error(
      `${request.method} ${request.originalUrl ?? request.url} failed: ${(exception as Error)?.message ?? String(exception)}`,
      (exception as Error)?.stack,
    );
    return { statusCode: 500, code: SAGA_ERROR_CODES.INTERNAL_ERROR, message: 'Internal server error. The details are in the server log.' };
  }

  private fromHttpException(exception: HttpException): ApiErrorBody {
    const status = exception.getStatus();
    if (status >= 500) {
      this.logger.error(`HTTP ${status}: ${exception.message}`, exception.stack);
      return { statusCode: status, code: SAGA_ERROR_CODES.INTERNAL_ERROR, message: 'Internal server error. The details are in the server log.' };
    }
    const cause = exception.cause as { type?: string } | undefined;
    const code = HTTP_CODES[status] ?? upperSnake(exception.name.replace(/Exception$/, '') || `HTTP_${status}`);
    if (status === 400 && (cause instanceof SyntaxError || cause?.type === 'entity.parse.failed')) {
      return { statusCode: 400, code, message: 'The request body is not valid JSON.', field: 'body' };
    }
    // Any other body-parser failure (a corrupt compressed body: zlib's Z_* codes; a truncated one):
    // the body is at fault.
    if (status === 400 && (typeof cause?.type === 'string' || /^Z_/.test(String((cause as { code?: unknown } | undefined)?.code ?? '')))) {
      return { statusCode: 400, code, message: 'The request body could not be read (is its Content-Encoding right?).', field: 'body' };
    }
    if (status === 415) {
      const what = cause?.type === 'charset.unsupported' ? 'charset' : cause?.type === 'encoding.unsupported' ? 'Content-Encoding' : undefined;
      return {
        statusCode: 415,
        code,
        message: what
          ? `This ${what} is not supported: send JSON in UTF-8${what === 'Content-Encoding' ? ', uncompressed or as gzip, deflate or br' : ''}.`
          : 'Send the request body as JSON with "Content-Type: application/json".',
      };
    }
    if (status === 413) {
      return { statusCode: 413, code, message: 'The request body is larger than this server accepts.' };
    }
    const response = exception.getResponse();
    let message = exception.message;
    if (typeof response === 'object' && response !== null) {
      const m = (response as { message?: unknown }).message;
      if (typeof m === 'string') message = m;
      else if (Array.isArray(m)) message = m.join('; ');
    }
    return { statusCode: status, code, message };
  }
}
