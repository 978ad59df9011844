/**
 * Spans of the engine, through `@opentelemetry/api` only: a no-op until the host registers an SDK.
 * Invariants: every span of a saga descends from the context stored with the saga at its start, so
 * any instance that runs it (takeover, restart) adds to the same trace; parents are always passed
 * explicitly, so the tree is right even when the host has no context manager.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { AttemptOutcome } from '../machine/attempt-outcome.js';
import type { NewSagaEvent, SagaRecord } from '../persistence/saga.records.js';
import { parseTraceparent, toSagaTraceContext, type SagaTraceContext } from './trace-context.js';

/** The tracer name (instrumentation scope) of the library's spans. */
export const SAGA_TRACER_NAME = '@nest-saga/saga';

/**
 * Attributes on the library's spans. `saga.outcome` of a step span is `succeeded`, `failed`,
 * `timed_out` or `aborted`; of a run span, `settled`, `released` or `lease_lost`.
 */
export const SAGA_SPAN_ATTRIBUTES = {
  SAGA_ID: 'saga.id',
  SAGA_NAME: 'saga.name',
  STEP: 'saga.step',
  ATTEMPT: 'saga.attempt',
  PHASE: 'saga.phase',
  OUTCOME: 'saga.outcome',
  STATUS: 'saga.status',
  INSTANCE: 'saga.instance',
  PREVIOUS_OWNER: 'saga.previous_owner',
  CREATED: 'saga.created',
} as const;
const A = SAGA_SPAN_ATTRIBUTES;

const tracer = () => trace.getTracer(SAGA_TRACER_NAME);

/** The context each step attempt runs in, by its StepContext (read by `SagaHttpClient.forStep`). */
const stepTraces = new WeakMap<object, Context>();

export function bindStepTrace(stepContext: object, traceContext: Context): void {
  stepTraces.set(stepContext, traceContext);
}

export function stepTraceOf(stepContext: object): Context | undefined {
  return stepTraces.get(stepContext);
}

/** The context a stored saga's spans descend from (root when it has none). */
function storedContext(stored: SagaTraceContext | null | undefined): Context {
  const parent = stored ? parseTraceparent(stored.traceparent, stored.tracestate) : null;
  return parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
}

/**
 * The span of `SagaService.start`, child of whatever span is active in the caller. Its context is
 * what the saga stores; null when no trace is active (no SDK, or sampled out with no parent).
 */
export class SagaStartTrace {
  private readonly span: Span;
  readonly stored: SagaTraceContext | null;

  constructor(sagaName: string) {
    this.span = tracer().startSpan(`saga.start ${sagaName}`, { kind: SpanKind.INTERNAL, attributes: { [A.SAGA_NAME]: sagaName } }, context.active());
    const sc = this.span.spanContext();
    this.stored = trace.isSpanContextValid(sc) ? toSagaTraceContext(sc) : null;
  }

  end(result: { sagaId: string; created: boolean } | { error: unknown }): void {
    if ('error' in result) fail(this.span, result.error);
    else this.span.setAttributes({ [A.SAGA_ID]: result.sagaId, [A.CREATED]: result.created });
    this.span.end();
  }
}

/** One run of a saga on this instance: from claim (or start) until it is settled, released or lost. */
export class SagaRunTrace {
  private readonly span: Span;
  private readonly parent: Context;
  private readonly base: Attributes;
  /** Used for every attempt when this run is not recorded (no SDK, or sampled out): no span per attempt. */
  private readonly unrecorded: SagaAttemptTrace | null;

  constructor(rec: Pick<SagaRecord, 'id' | 'name'> & { traceContext?: SagaTraceContext | null }, instanceId: string, previousOwner: string | null) {
    this.base = { [A.SAGA_ID]: rec.id, [A.SAGA_NAME]: rec.name };
    this.span = tracer().startSpan(
      `saga.run ${rec.name}`,
      { attributes: { ...this.base, [A.INSTANCE]: instanceId, ...(previousOwner ? { [A.PREVIOUS_OWNER]: previousOwner } : {}) } },
      storedContext(rec.traceContext),
    );
    this.parent = trace.setSpan(ROOT_CONTEXT, this.span);
    // Children of an unrecorded span are unrecorded too; their context would carry the same ids.
    this.unrecorded = this.span.isRecording() ? null : new SagaAttemptTrace(null, this.parent);
  }

  /** History events become span events, so a trace reads like the saga's timeline. */
  event(event: NewSagaEvent): void {
    if (!this.span.isRecording()) return;
    const attributes: Attributes = {};
    if (event.step) attributes[A.STEP] = event.step;
    if (event.attempt) attributes[A.ATTEMPT] = event.attempt;
    if (event.error?.message) attributes['error.message'] = event.error.message;
    this.span.addEvent(event.type, attributes);
  }

  startAttempt(phase: 'execute' | 'compensate', step: string, attempt: number): SagaAttemptTrace {
    if (this.unrecorded) return this.unrecorded;
    return new SagaAttemptTrace(
      tracer().startSpan(
        `saga.${phase === 'execute' ? 'step' : 'compensate'} ${step}`,
        { attributes: { ...this.base, [A.STEP]: step, [A.ATTEMPT]: attempt, [A.PHASE]: phase } },
        this.parent,
      ),
    );
  }

  end(status: string, outcome: 'settled' | 'released' | 'lease_lost', error: { message: string } | null): void {
    this.span.setAttributes({ [A.STATUS]: status, [A.OUTCOME]: outcome });
    if (status === 'FAILED') this.span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message });
    this.span.end();
  }
}

export class SagaAttemptTrace {
  /** The context user code runs in: the attempt's span is the active one. */
  readonly context: Context;

  /** `span` null: an attempt of an unrecorded run, which runs in the run's context and records nothing. */
  constructor(
    private readonly span: Span | null,
    runContext?: Context,
  ) {
    this.context = span ? trace.setSpan(ROOT_CONTEXT, span) : runContext!;
  }

  run<T>(fn: () => T): T {
    // Also unrecorded: a sampled-out parent keeps the host's instrumented calls out of new traces.
    return context.with(this.context, fn);
  }

  end(outcome: AttemptOutcome): void {
    if (!this.span) return;
    if (outcome.ok) {
      this.span.setAttribute(A.OUTCOME, 'succeeded');
    } else {
      const kind = outcome.error.code === 'STEP_TIMEOUT' ? 'timed_out' : outcome.abortReason ? 'aborted' : 'failed';
      this.span.setAttribute(A.OUTCOME, kind);
      fail(this.span, outcome.error);
    }
    this.span.end(outcome.finishedAt);
  }
}

function fail(span: Span, error: unknown): void {
  const e = error as { name?: string; message?: string; code?: string };
  span.recordException({ name: e?.name ?? 'Error', message: e?.message ?? String(error), ...(e?.code ? { code: e.code } : {}) });
  span.setStatus({ code: SpanStatusCode.ERROR, message: e?.message });
}
