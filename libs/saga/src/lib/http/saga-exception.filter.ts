/**
 * Turns a `SagaError` thrown from a host app's HTTP controller into the admin API's error body
 * (`{ statusCode, code, message, field? }`). The library itself never throws HTTP exceptions; this
 * is the optional bridge for hosts. It writes through Nest's HTTP adapter, so it works on Express
 * and Fastify alike and needs neither one's types.
 */
import { Catch, HttpStatus, Logger, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SAGA_ERROR_CODES, type ApiErrorBody, type SagaErrorCode } from '@nest-saga/contracts';
import { SagaError } from '../errors/saga.errors.js';

/**
 * HTTP status of each `SagaError` code a client can cause. Codes not listed are server faults:
 * `SagaExceptionFilter` answers them 500 with a generic message.
 */
export const SAGA_ERROR_HTTP_STATUS: Readonly<Partial<Record<SagaErrorCode, number>>> = Object.freeze({
  [SAGA_ERROR_CODES.SAGA_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [SAGA_ERROR_CODES.SAGA_DEFINITION_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [SAGA_ERROR_CODES.SAGA_STEP_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [SAGA_ERROR_CODES.INVALID_SAGA_TRANSITION]: HttpStatus.CONFLICT,
  [SAGA_ERROR_CODES.SAGA_LEASE_LOST]: HttpStatus.CONFLICT,
  [SAGA_ERROR_CODES.IDEMPOTENCY_KEY_CONFLICT]: HttpStatus.CONFLICT,
  [SAGA_ERROR_CODES.SAGA_INPUT_INVALID]: HttpStatus.BAD_REQUEST,
  [SAGA_ERROR_CODES.VALIDATION_FAILED]: HttpStatus.BAD_REQUEST,
  [SAGA_ERROR_CODES.PLAN_NAME_INVALID]: HttpStatus.BAD_REQUEST,
  [SAGA_ERROR_CODES.PLAN_EMPTY]: HttpStatus.BAD_REQUEST,
  [SAGA_ERROR_CODES.PLAN_STEP_DUPLICATE]: HttpStatus.BAD_REQUEST,
  [SAGA_ERROR_CODES.PLAN_REQUIREMENT_MISSING]: HttpStatus.BAD_REQUEST,
  [SAGA_ERROR_CODES.PLAN_STEP_NOT_REGISTERED]: HttpStatus.NOT_FOUND,
  [SAGA_ERROR_CODES.DATABASE_UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
  [SAGA_ERROR_CODES.BULK_ACTION_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [SAGA_ERROR_CODES.BULK_ACTION_NOT_RUNNING]: HttpStatus.CONFLICT,
  [SAGA_ERROR_CODES.BULK_ACTION_TOO_LARGE]: HttpStatus.BAD_REQUEST,
  [SAGA_ERROR_CODES.STEP_NOT_REGISTERED]: HttpStatus.NOT_FOUND,
  [SAGA_ERROR_CODES.STEP_NOT_PAUSED]: HttpStatus.CONFLICT,
});

/** Seconds a client should wait before retrying after a 503: an outage shorter than that is common. */
const RETRY_AFTER_SECONDS = '1';

const INTERNAL_BODY: ApiErrorBody = {
  statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
  code: SAGA_ERROR_CODES.INTERNAL_ERROR,
  message: 'Internal server error. The details are in the server log.',
};

/** The parts of an Express- or Fastify-like response used when no HTTP adapter is at hand. */
interface ResponseLike {
  headersSent?: boolean;
  sent?: boolean;
  status?(code: number): ResponseLike;
  code?(code: number): ResponseLike;
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
  json?(body: unknown): unknown;
  send?(body: unknown): unknown;
}

/** Request paths are logged escaped: a control character in a URL must not forge log lines. */
const escapeControls = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Answers a `SagaError` thrown from an HTTP handler with the section 5 error body: 404 for an
 * unknown saga, definition or step (with `field` when a composition named the step); 409 for an
 * action the saga's status does not allow, a lost lease or an idempotency key reused with another
 * input; 400 (with `field`) for a malformed input or query or a composition that cannot run; 503 (with `Retry-After`) when the database is unavailable. Any other code is a 500 with
 * a generic message; its details go to the log only. Other errors are left to Nest.
 *
 * Use it on a controller (`@UseFilters(SagaExceptionFilter)`), for the whole app
 * (`{ provide: APP_FILTER, useClass: SagaExceptionFilter }`), or with
 * `app.useGlobalFilters(new SagaExceptionFilter(app.get(HttpAdapterHost)))`.
 * Only HTTP contexts are handled: in an RPC or WebSocket context the error is thrown on.
 */
@Catch(SagaError)
export class SagaExceptionFilter implements ExceptionFilter<SagaError> {
  private readonly logger = new Logger(SagaExceptionFilter.name);

  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  catch(error: SagaError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const http = host.switchToHttp();
    const request = http.getRequest<{ method?: string; originalUrl?: string; url?: string }>();
    const body = this.toBody(error, request);
    const response = http.getResponse<ResponseLike>();
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter) {
      if (adapter.isHeadersSent(response)) return;
      if (body.statusCode === HttpStatus.SERVICE_UNAVAILABLE) adapter.setHeader(response, 'Retry-After', RETRY_AFTER_SECONDS);
      adapter.reply(response, body, body.statusCode);
      return;
    }
    reply(response, body);
  }

  /** The body for `error`; logs what must not reach the client. */
  toBody(error: SagaError, request: { method?: string; originalUrl?: string; url?: string } = {}): ApiErrorBody {
    const status = SAGA_ERROR_HTTP_STATUS[error.code as SagaErrorCode];
    const where = `${request.method ?? '?'} ${escapeControls(request.originalUrl ?? request.url ?? '?')}`;
    if (status === undefined) {
      this.logger.error(`${where} failed: ${error.name} (${error.code}): ${error.message}`, error.stack);
      return { ...INTERNAL_BODY };
    }
    if (status === HttpStatus.SERVICE_UNAVAILABLE) this.logger.warn(`${where}: the database is unavailable (${error.message})`);
    const body: ApiErrorBody = { statusCode: status, code: error.code, message: error.message };
    const field = (error as { field?: unknown }).field;
    if (status === HttpStatus.BAD_REQUEST) {
      // A rejected saga input has no finer field of its own: the whole `input` is at fault.
      if (typeof field === 'string' && field) body.field = field;
      else if (error.code === SAGA_ERROR_CODES.SAGA_INPUT_INVALID) body.field = 'input';
    } else if (status === HttpStatus.NOT_FOUND && typeof field === 'string' && field) {
      // An unknown step named in a request body (`steps[1].step`): say which entry.
      body.field = field;
    }
    return body;
  }
}

/** Writes the body on an Express-like (`status().json()`) or Fastify-like (`code().send()`) response. */
function reply(response: ResponseLike, body: ApiErrorBody): void {
  if (response.headersSent || response.sent) return;
  if (body.statusCode === HttpStatus.SERVICE_UNAVAILABLE) {
    if (response.setHeader) response.setHeader('Retry-After', RETRY_AFTER_SECONDS);
    else response.header?.('Retry-After', RETRY_AFTER_SECONDS);
  }
  const withStatus = response.status ? response.status(body.statusCode) : (response.code?.(body.statusCode) ?? response);
  if (withStatus.json) withStatus.json(body);
  else withStatus.send?.(body);
}
