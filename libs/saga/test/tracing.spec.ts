/**
 * OpenTelemetry: a span per saga start, per run of a saga on an instance, per step attempt and per
 * compensation, all in one trace per saga, also when another instance takes the saga over. The
 * trace context is stored with the saga, which is how the other instance continues the trace.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { Saga, SagaDefinition, SagaService, SagaStep, type SagaStepHandler, type StepContext } from '../src/index.js';
import { bootSagaApp, until } from './support/saga-app.js';
import { FlowModule, FlowSaga } from './support/flow.fixtures.js';
import { withClient } from './support/processes.js';
import { installTestTracing, type TestTracing } from './support/tracing.js';

/** Blocks its first attempt until the attempt is aborted; later attempts call the echo server. */
@Injectable()
class Gate {
  readonly started: string[] = [];
  echoUrl = '';
}

@SagaStep('gate', { timeoutMs: 60_000, retry: { maxAttempts: 3, initialDelayMs: 10, jitter: 0 } })
class GateStep implements SagaStepHandler<unknown, { attempt: number }> {
  constructor(private readonly gate: Gate) {}
  async execute(_input: unknown, ctx: StepContext) {
    this.gate.started.push(`${ctx.sagaId}:${ctx.attempt}`);
    if (ctx.attempt === 1) {
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    }
    await ctx.http.post(this.gate.echoUrl, { attempt: ctx.attempt });
    return { attempt: ctx.attempt };
  }
}

@SagaStep('after-gate')
class AfterGateStep implements SagaStepHandler<unknown, void> {
  execute() {}
}

@Saga('handover', { steps: [GateStep, AfterGateStep] })
class HandoverSaga extends SagaDefinition<unknown> {}

@Module({ providers: [Gate, GateStep, AfterGateStep, HandoverSaga], exports: [Gate] })
class HandoverModule {}

let tracing: TestTracing;
let db: TestDatabase;
let echo: Server;
let echoUrl: string;
const echoed: IncomingHttpHeaders[] = [];
const apps: INestApplication[] = [];

beforeAll(async () => {
  tracing = installTestTracing();
  db = await createTestDatabase('saga_tracing');
  echo = createServer((req, res) => {
    echoed.push(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/echo`;
});
afterAll(async () => {
  for (const app of apps) await app.close().catch(() => undefined);
  await db?.drop();
  echo.closeAllConnections();
  await new Promise((r) => echo.close(r));
  await tracing.uninstall();
});
beforeEach(() => tracing.exporter.reset());
// Each test's instances stop before the next test starts: they share the database.
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close().catch(() => undefined);
});

async function boot(instanceId: string, options = {}): Promise<INestApplication> {
  const app = await bootSagaApp(db.url, { imports: [FlowModule, HandoverModule] }, { instanceId, ...options });
  app.get(Gate).echoUrl = echoUrl;
  apps.push(app);
  return app;
}

const named = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

async function storedTraceparent(sagaId: string): Promise<string | undefined> {
  const { rows } = await withClient(db.url, (c) => c.query(`SELECT trace_context FROM saga_instances WHERE id = $1`, [sagaId]));
  return rows[0].trace_context?.traceparent;
}

describe('tracing', () => {
  it('puts each saga in a trace of its own: start, run, step attempts and compensations, with ids, names, attempts and outcomes', async () => {
    const app = await boot('trace-one');
    const sagas = app.get(SagaService);
    const ok = await sagas.start(FlowSaga, { script: { 'step-b': { failTimes: 1 } } });
    const bad = await sagas.start(FlowSaga, { script: { 'step-d': { failAlways: true, nonRetryable: true } } });
    expect((await ok.result({ timeoutMs: 15_000 })).status).toBe('COMPLETED');
    expect((await bad.result({ timeoutMs: 15_000 })).status).toBe('COMPENSATED');
    // The run span ends once the runner lets go of the saga, just after the final write.
    await until(async () => named(tracing.spansOf(bad.sagaId), 'saga.run flow').length, (n) => n === 1, 'the run span of the second saga');

    const spans = tracing.spansOf(ok.sagaId);
    const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
    expect(traceIds.size).toBe(1);
    const [traceId] = traceIds;
    const badTraceIds = new Set(tracing.spansOf(bad.sagaId).map((s) => s.spanContext().traceId));
    expect(badTraceIds.size).toBe(1);
    expect(badTraceIds.has(traceId)).toBe(false);

    const [start] = named(spans, 'saga.start flow');
    expect(parentOf(start)).toBeUndefined();
    expect(start.attributes).toMatchObject({ 'saga.id': ok.sagaId, 'saga.name': 'flow', 'saga.created': true });
    expect(await storedTraceparent(ok.sagaId)).toBe(`00-${traceId}-${start.spanContext().spanId}-01`);

    const [run] = named(spans, 'saga.run flow');
    expect(parentOf(run)).toBe(start.spanContext().spanId);
    expect(run.attributes).toMatchObject({ 'saga.id': ok.sagaId, 'saga.name': 'flow', 'saga.instance': 'trace-one', 'saga.status': 'COMPLETED' });

    const steps = spans.filter((s) => s.name.startsWith('saga.step '));
    expect(steps.map((s) => [s.name, s.attributes['saga.attempt'], s.attributes['saga.outcome']])).toEqual([
      ['saga.step step-a', 1, 'succeeded'],
      ['saga.step step-b', 1, 'failed'],
      ['saga.step step-b', 2, 'succeeded'],
      ['saga.step step-c', 1, 'succeeded'],
      ['saga.step step-d', 1, 'succeeded'],
    ]);
    for (const s of steps) {
      expect(parentOf(s)).toBe(run.spanContext().spanId);
      expect(s.attributes).toMatchObject({ 'saga.id': ok.sagaId, 'saga.name': 'flow', 'saga.phase': 'execute' });
    }
    const failed = steps[1];
    expect(failed.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'step-b failed on attempt 1' });
    expect(failed.events.map((e) => e.name)).toContain('exception');
    expect(run.events.map((e) => e.name)).toEqual(expect.arrayContaining(['STEP_RETRY_SCHEDULED', 'SAGA_COMPLETED']));

    const badSpans = tracing.spansOf(bad.sagaId);
    const compensations = badSpans.filter((s) => s.name.startsWith('saga.compensate '));
    expect(compensations.map((s) => [s.name, s.attributes['saga.phase'], s.attributes['saga.outcome']])).toEqual([
      ['saga.compensate step-c', 'compensate', 'succeeded'],
      ['saga.compensate step-a', 'compensate', 'succeeded'],
    ]);
    expect(named(badSpans, 'saga.run flow')[0].attributes['saga.status']).toBe('COMPENSATED');
  });

  it("joins the caller's trace when a saga starts inside an active span", async () => {
    const app = await boot('trace-two');
    const tracer = trace.getTracer('host-app');
    const { handle, callerTraceId, callerSpanId } = await tracer.startActiveSpan('POST /checkout', async (span) => {
      const h = await app.get(SagaService).start(FlowSaga, {});
      span.end();
      return { handle: h, callerTraceId: span.spanContext().traceId, callerSpanId: span.spanContext().spanId };
    });
    await handle.result({ timeoutMs: 15_000 });
    await until(async () => named(tracing.spansOf(handle.sagaId), 'saga.run flow').length, (n) => n === 1, 'the run span');
    const spans = tracing.spansOf(handle.sagaId);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([callerTraceId]));
    expect(parentOf(named(spans, 'saga.start flow')[0])).toBe(callerSpanId);
  });

  it('continues the same trace when another instance takes the saga over, and ctx.http sends the attempt span as traceparent', async () => {
    // The owner neither renews nor polls within the test: nothing but the heir touches the saga.
    const first = await boot('trace-owner', { leaseMs: 60_000, pollIntervalMs: 60_000, shutdownTimeoutMs: 100 });
    const handle = await first.get(SagaService).start(HandoverSaga, {});
    const gate = first.get(Gate);
    await until(async () => gate.started, (s) => s.includes(`${handle.sagaId}:1`), 'the first attempt to block');
    // The owner stops renewing (a frozen or partitioned process): its lease runs out.
    await withClient(db.url, (c) => c.query(`UPDATE saga_instances SET lease_expires_at = now() - interval '1 second', next_run_at = now() WHERE id = $1`, [handle.sagaId]));
    const second = await boot('trace-heir');
    const done = await until(() => second.get(SagaService).get(handle.sagaId), (d) => d.status === 'COMPLETED', 'COMPLETED on the second instance');
    expect(done.events.find((e) => e.type === 'LEASE_TAKEN_OVER')?.data).toMatchObject({ previousOwner: 'trace-owner', newOwner: 'trace-heir' });
    await first.close(); // its blocked attempt is aborted and its run span ends
    await until(async () => named(tracing.spansOf(handle.sagaId), 'saga.run handover').length, (n) => n === 2, 'both run spans');

    const spans = tracing.spansOf(handle.sagaId);
    const traceIds = new Set(spans.map((s) => s.spanContext().traceId));
    expect(traceIds.size).toBe(1);
    const [start] = named(spans, 'saga.start handover');
    expect(await storedTraceparent(handle.sagaId)).toBe(`00-${[...traceIds][0]}-${start.spanContext().spanId}-01`);
    const runs = named(spans, 'saga.run handover');
    const byInstance = Object.fromEntries(runs.map((r) => [r.attributes['saga.instance'], r]));
    expect(Object.keys(byInstance).sort()).toEqual(['trace-heir', 'trace-owner']);
    for (const r of runs) expect(parentOf(r)).toBe(start.spanContext().spanId);
    expect(byInstance['trace-heir'].attributes).toMatchObject({ 'saga.previous_owner': 'trace-owner', 'saga.status': 'COMPLETED' });
    expect(byInstance['trace-owner'].attributes).toMatchObject({ 'saga.outcome': 'lease_lost' });

    const gates = named(spans, 'saga.step gate');
    const [lost] = gates.filter((s) => s.attributes['saga.attempt'] === 1);
    const [heir] = gates.filter((s) => s.attributes['saga.attempt'] === 2);
    expect(parentOf(lost)).toBe(byInstance['trace-owner'].spanContext().spanId);
    expect(lost.attributes['saga.outcome']).toBe('aborted');
    expect(parentOf(heir)).toBe(byInstance['trace-heir'].spanContext().spanId);
    expect(heir.attributes['saga.outcome']).toBe('succeeded');

    const call = echoed.find((h) => h['idempotency-key'] === `${handle.sagaId}:gate`);
    expect(call?.traceparent).toBe(`00-${heir.spanContext().traceId}-${heir.spanContext().spanId}-01`);
  });
});
