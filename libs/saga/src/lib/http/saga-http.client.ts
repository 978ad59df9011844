/**
 * A small HTTP client on the global `fetch` for steps that call other services. Bound to a step
 * (`ctx.http`, or `client.forStep(ctx)`), every request carries the step's idempotency key and the
 * attempt's trace context, is aborted with the attempt, and fails in a way the engine classifies:
 * no answer, 5xx, 408 and 429 are retried; any other 4xx fails the step for good.
 */
import { context as otelContext, propagation, trace, type Context } from '@opentelemetry/api';
import { stepTraceOf } from '../tracing/saga-tracing.js';
import { formatTraceparent } from '../tracing/trace-context.js';
import { HttpStepError, NonRetryableHttpStepError, type HttpFailureDetails } from './saga-http.errors.js';

/** Options of `new SagaHttpClient(options)`. */
export interface SagaHttpClientOptions {
  /** Base of relative URLs (`new URL(path, baseUrl)`). @default none: URLs must be absolute */
  baseUrl?: string;
  /** Headers sent with every request (a request's own headers win). @default {} */
  headers?: Record<string, string>;
  /**
   * Time limit of one request, on top of the step's own timeout (which aborts it anyway). A request
   * that runs out of it fails as retryable. @default none
   */
  timeoutMs?: number;
  /** How much of an error answer's body goes into the error message, in characters. @default 500 */
  bodyExcerptLength?: number;
  /** The `fetch` to use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Options of one request. */
export interface SagaHttpRequestOptions {
  /** Headers of this request (over the client's). @default none */
  headers?: Record<string, string>;
  /** Query parameters added to the URL (undefined ones are left out). @default none */
  query?: Record<string, string | number | boolean | undefined>;
  /** A body sent as JSON (`content-type: application/json`). @default none (no body) */
  json?: unknown;
  /** A body sent as it is (a string, `URLSearchParams`, `FormData`, ...), when `json` is not set. @default none */
  body?: RequestInit['body'];
  /**
   * `Idempotency-Key` of this request. Bound to a step, the default is `ctx.idempotencyKey` in
   * `execute` and `${ctx.idempotencyKey}:compensate` in `compensate` (an undo must not look like a
   * repeat of the call it undoes); unbound, none. Give another key when one attempt makes several
   * calls to one service, or `false` to send none.
   */
  idempotencyKey?: string | false;
  /** Time limit of this request. @default the client's `timeoutMs` */
  timeoutMs?: number;
  /** Another signal that aborts the request (as well as the step's). @default none */
  signal?: AbortSignal;
}

/** An answer with a 2xx status. `body` is parsed JSON, text, or undefined when empty. */
export interface SagaHttpResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

interface StepBinding {
  idempotencyKey: string;
  signal: AbortSignal;
  trace?: Context;
  context: { sagaId: string; sagaName: string; stepName: string; attempt: number };
}

const RETRYABLE_STATUS = new Set([408, 429]);

/** The attempt a client made by `forStep` works for (the fields of the step's context it reads). */
export interface SagaHttpStepScope {
  readonly sagaId: string;
  readonly sagaName: string;
  readonly stepName: string;
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly signal: AbortSignal;
  readonly phase: 'execute' | 'compensate';
}

export class SagaHttpClient {
  private readonly options: SagaHttpClientOptions;
  private readonly step: StepBinding | null;

  constructor(options: SagaHttpClientOptions = {}, step: StepBinding | null = null) {
    this.options = options;
    this.step = step;
  }

  /**
   * This client bound to a step attempt: what `ctx.http` is, with this client's base URL, headers
   * and limits. Use it from an injected client: `this.payments.forStep(ctx).post('/charges', body)`.
   */
  forStep(ctx: SagaHttpStepScope): SagaHttpClient {
    return new SagaHttpClient(this.options, {
      idempotencyKey: ctx.phase === 'compensate' ? `${ctx.idempotencyKey}:compensate` : ctx.idempotencyKey,
      signal: ctx.signal,
      trace: stepTraceOf(ctx),
      context: { sagaId: ctx.sagaId, sagaName: ctx.sagaName, stepName: ctx.stepName, attempt: ctx.attempt },
    });
  }

  get<T = unknown>(url: string, options?: SagaHttpRequestOptions): Promise<T> {
    return this.request<T>('GET', url, options).then((r) => r.body);
  }

  delete<T = unknown>(url: string, options?: SagaHttpRequestOptions): Promise<T> {
    return this.request<T>('DELETE', url, options).then((r) => r.body);
  }

  /** Sends `json` as a JSON body (leave it undefined to send none). */
  post<T = unknown>(url: string, json?: unknown, options?: SagaHttpRequestOptions): Promise<T> {
    return this.request<T>('POST', url, { ...options, json: json ?? options?.json }).then((r) => r.body);
  }

  put<T = unknown>(url: string, json?: unknown, options?: SagaHttpRequestOptions): Promise<T> {
    return this.request<T>('PUT', url, { ...options, json: json ?? options?.json }).then((r) => r.body);
  }

  patch<T = unknown>(url: string, json?: unknown, options?: SagaHttpRequestOptions): Promise<T> {
    return this.request<T>('PATCH', url, { ...options, json: json ?? options?.json }).then((r) => r.body);
  }

  /**
   * Sends a request and resolves with a 2xx answer. Throws `HttpStepError` (retryable) on no
   * answer, a 5xx, 408 or 429, `NonRetryableHttpStepError` on another non-2xx answer, and the
   * step's abort reason when the step is aborted.
   */
  async request<T = unknown>(method: string, url: string, options: SagaHttpRequestOptions = {}): Promise<SagaHttpResponse<T>> {
    const target = this.resolve(url, options.query);
    const where = `${method} ${target.origin}${target.pathname}`;
    const headers = this.headers(options);
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const timeout = timeoutMs === undefined ? null : AbortSignal.timeout(timeoutMs);
    const signals = [this.step?.signal, options.signal, timeout ?? undefined].filter((s): s is AbortSignal => s !== undefined);
    const doFetch = this.options.fetch ?? globalThis.fetch;
    const details = (status: number | null, bodyExcerpt: string | null): HttpFailureDetails => ({ method, url: `${target.origin}${target.pathname}`, status, bodyExcerpt });

    let res: Response;
    try {
      res = await doFetch(target, { method, headers, body, signal: signals.length ? AbortSignal.any(signals) : undefined });
    } catch (error) {
      // The step's own abort (timeout, cancel, lost lease) is the engine's business: pass its reason on.
      for (const s of [this.step?.signal, options.signal]) if (s?.aborted) throw s.reason;
      if (timeout?.aborted) {
        throw new HttpStepError(`${where} did not answer within ${timeoutMs} ms (no answer; retryable).`, details(null, null), this.step?.context, { cause: error });
      }
      throw new HttpStepError(`${where} failed before any answer: ${describeNetworkError(error)} (retryable).`, details(null, null), this.step?.context, { cause: error });
    }

    if (res.ok) {
      let parsed: unknown;
      try {
        parsed = await readBody(res);
      } catch (error) {
        for (const s of [this.step?.signal, options.signal]) if (s?.aborted) throw s.reason;
        throw new HttpStepError(`${where} answered ${res.status} but its body could not be read: ${(error as Error).message} (retryable).`, details(res.status, null), this.step?.context, { cause: error });
      }
      return { status: res.status, headers: res.headers, body: parsed as T };
    }

    const excerpt = await readExcerpt(res, this.options.bodyExcerptLength ?? 500);
    const retryAfter = res.headers.get('retry-after');
    const message = `${where} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${excerpt ? `: ${excerpt}` : ''}`;
    if (res.status >= 500 || RETRYABLE_STATUS.has(res.status)) {
      throw new HttpStepError(`${message}${retryAfter ? ` (Retry-After: ${retryAfter})` : ''}`, details(res.status, excerpt), this.step?.context);
    }
    throw new NonRetryableHttpStepError(message, { ...details(res.status, excerpt), status: res.status }, this.step?.context);
  }

  private resolve(url: string, query: SagaHttpRequestOptions['query']): URL {
    const target = this.options.baseUrl ? new URL(url, this.options.baseUrl) : new URL(url);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) target.searchParams.append(key, String(value));
    return target;
  }

  private headers(options: SagaHttpRequestOptions): Headers {
    const headers = new Headers();
    for (const [k, v] of Object.entries(this.options.headers ?? {})) headers.set(k, v);
    // The trace of the attempt, however the host propagates (its propagator), and traceparent always.
    const traceContext = this.step?.trace ?? otelContext.active();
    const carrier: Record<string, string> = {};
    propagation.inject(traceContext, carrier);
    const span = trace.getSpanContext(traceContext);
    if (!carrier.traceparent && span && trace.isSpanContextValid(span)) carrier.traceparent = formatTraceparent(span);
    for (const [k, v] of Object.entries(carrier)) headers.set(k, v);
    for (const [k, v] of Object.entries(options.headers ?? {})) headers.set(k, v);
    if (options.idempotencyKey === false) headers.delete('idempotency-key');
    else if (options.idempotencyKey !== undefined) headers.set('idempotency-key', options.idempotencyKey);
    else if (this.step && !headers.has('idempotency-key')) headers.set('idempotency-key', this.step.idempotencyKey);
    return headers;
  }
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === '') return undefined;
  const type = res.headers.get('content-type') ?? '';
  return /\bjson\b/i.test(type) ? JSON.parse(text) : text;
}

/** The start of an error answer's body on one line, for messages and the saga history. */
async function readExcerpt(res: Response, max: number): Promise<string | null> {
  let text: string;
  try {
    text = await res.text();
  } catch {
    return null;
  }
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  if (!line) return null;
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

function describeNetworkError(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause;
  if (cause?.code || cause?.message) return `${e.message ?? 'fetch failed'} (${[cause.code, cause.message].filter(Boolean).join(': ')})`;
  return e?.message ?? String(error);
}
