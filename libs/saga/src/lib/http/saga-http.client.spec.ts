import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NonRetryableStepError } from '../errors/saga.errors.js';
import type { StepContext } from '../interfaces/step.interface.js';
import { bindStepTrace } from '../tracing/saga-tracing.js';
import { SagaHttpClient } from './saga-http.client.js';
import { HttpStepError, NonRetryableHttpStepError } from './saga-http.errors.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
/** What the next requests answer, in order; then 200 with a JSON echo. */
let replies: { status: number; body?: string; headers?: Record<string, string>; hang?: boolean }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const reply = replies.shift();
      if (reply?.hang) return; // never answers: only an abort ends the request
      if (reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(reply.body ?? '');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, echo: body ? JSON.parse(body) : null }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  seen.length = 0;
  replies = [];
});

function stepContext(overrides: Partial<StepContext> = {}): StepContext {
  const ctx = {
    sagaId: '11111111-1111-4111-8111-111111111111',
    sagaName: 'order',
    stepName: 'process-payment',
    stepIndex: 2,
    attempt: 1,
    idempotencyKey: '11111111-1111-4111-8111-111111111111:process-payment',
    signal: new AbortController().signal,
    outputs: {},
    phase: 'execute' as const,
    ...overrides,
  };
  return { ...ctx, http: new SagaHttpClient().forStep(ctx as StepContext) } as StepContext;
}

describe('SagaHttpClient bound to a step (ctx.http)', () => {
  it("sends the step's idempotency key and a JSON body, and returns the parsed JSON answer", async () => {
    const ctx = stepContext();
    const answer = await ctx.http.post<{ ok: boolean; echo: unknown }>(`${base}/charges`, { amount: 7 });
    expect(answer).toEqual({ ok: true, echo: { amount: 7 } });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/charges' });
    expect(seen[0].headers['idempotency-key']).toBe(ctx.idempotencyKey);
    expect(seen[0].headers['content-type']).toBe('application/json');
    expect(seen[0].headers.traceparent).toBeUndefined();
  });

  it('sends the same key on every attempt of the step, and a key of its own for the compensation', async () => {
    await stepContext({ attempt: 1 }).http.post(`${base}/charges`, {});
    await stepContext({ attempt: 2 }).http.post(`${base}/charges`, {});
    await stepContext({ phase: 'compensate' }).http.post(`${base}/refunds`, {});
    const keys = seen.map((s) => s.headers['idempotency-key']);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).toBe(`${keys[0]}:compensate`);
  });

  it('lets one request choose its own key, or none', async () => {
    const ctx = stepContext();
    await ctx.http.post(`${base}/a`, {}, { idempotencyKey: `${ctx.idempotencyKey}:second-call` });
    await ctx.http.get(`${base}/b`, { idempotencyKey: false });
    expect(seen[0].headers['idempotency-key']).toBe(`${ctx.idempotencyKey}:second-call`);
    expect(seen[1].headers['idempotency-key']).toBeUndefined();
  });

  it("sends the attempt's trace context as traceparent when a trace is active", async () => {
    const ctx = stepContext();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    bindStepTrace(ctx, trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED }));
    await new SagaHttpClient().forStep(ctx).get(`${base}/x`);
    expect(seen[0].headers.traceparent).toBe(`00-${traceId}-${spanId}-01`);
  });

  it('turns 5xx, 429 and 408 answers into retryable errors that name the status and the body', async () => {
    for (const status of [500, 502, 503, 429, 408]) {
      replies = [{ status, body: JSON.stringify({ message: `down ${status}` }), headers: status === 429 ? { 'retry-after': '3' } : {} }];
      const error = await stepContext().http.post(`${base}/charges?secret=1`, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpStepError);
      expect(error).not.toBeInstanceOf(NonRetryableStepError);
      expect(error).toMatchObject({ code: 'HTTP_REQUEST_FAILED', status, method: 'POST', sagaId: stepContext().sagaId, stepName: 'process-payment' });
      expect((error as Error).message).toContain(`POST ${base}/charges answered ${status}`);
      expect((error as Error).message).toContain(`down ${status}`);
      expect((error as Error).message).not.toContain('secret');
      if (status === 429) expect((error as Error).message).toContain('Retry-After: 3');
    }
  });

  it('turns other 4xx answers into NonRetryableStepError with the status and an excerpt of the body', async () => {
    replies = [{ status: 422, body: JSON.stringify({ message: 'card declined', detail: 'x'.repeat(2_000) }) }];
    const error = (await stepContext().http.post(`${base}/charges`, {}).catch((e: unknown) => e)) as NonRetryableHttpStepError;
    expect(error).toBeInstanceOf(NonRetryableStepError);
    expect(error).toBeInstanceOf(NonRetryableHttpStepError);
    expect(error).toMatchObject({ code: 'HTTP_REQUEST_REJECTED', status: 422 });
    expect(error.message).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/charges answered 422 Unprocessable Entity: \{"message":"card declined"/);
    expect(error.bodyExcerpt!.length).toBeLessThanOrEqual(501);
    expect(error.message.length).toBeLessThan(700);
  });

  it('turns network errors into retryable errors', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const error = await stepContext().http.get(`http://127.0.0.1:${port}/x`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStepError);
    expect(error).toMatchObject({ code: 'HTTP_REQUEST_FAILED', status: null });
    expect((error as Error).message).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/x failed before any answer: .*ECONNREFUSED/);
  });

  it("aborts the request when the step's signal is aborted, with the signal's reason", async () => {
    const controller = new AbortController();
    replies = [{ status: 200, hang: true }];
    const pending = stepContext({ signal: controller.signal }).http.get(`${base}/slow`).catch((e: unknown) => e);
    await until(() => seen.length === 1);
    const reason = new Error('step timed out');
    controller.abort(reason);
    expect(await pending).toBe(reason);
  });

  it('a per-request timeout fails the request as retryable', async () => {
    replies = [{ status: 200, hang: true }];
    const error = await stepContext().http.get(`${base}/slow`, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStepError);
    expect((error as Error).message).toContain('did not answer within 50 ms');
  });
});

describe('SagaHttpClient on its own', () => {
  it('resolves paths against its base URL, adds its headers and query parameters, and sends no key by itself', async () => {
    const client = new SagaHttpClient({ baseUrl: `${base}/api/`, headers: { authorization: 'Bearer t' } });
    const res = await client.request('GET', 'items', { query: { page: 2, q: 'a b' } });
    expect(res.status).toBe(200);
    expect(seen[0].url).toBe('/api/items?page=2&q=a+b');
    expect(seen[0].headers.authorization).toBe('Bearer t');
    expect(seen[0].headers['idempotency-key']).toBeUndefined();
  });

  it('returns text for non-JSON answers and undefined for empty ones', async () => {
    replies = [{ status: 200, body: 'plain', headers: { 'content-type': 'text/plain' } }, { status: 204 }];
    expect(await new SagaHttpClient().get(`${base}/t`)).toBe('plain');
    expect(await new SagaHttpClient().delete(`${base}/t`)).toBeUndefined();
  });
});

async function until(ok: () => boolean): Promise<void> {
  const end = Date.now() + 5_000;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
