/**
 * W3C Trace Context (`traceparent`, version 00) written and read by the library itself, so that the
 * trace stored with a saga and the header `ctx.http` sends never depend on which propagator, if
 * any, the host registered.
 */
import { createTraceState, type SpanContext } from '@opentelemetry/api';

export type { SagaTraceContext } from '../persistence/saga.records.js';
import type { SagaTraceContext } from '../persistence/saga.records.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const INVALID_TRACE_ID = '0'.repeat(32);
const INVALID_SPAN_ID = '0'.repeat(16);

export function formatTraceparent(span: Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'>): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A remote span context, or null when the value is not a valid version-00 traceparent. */
export function parseTraceparent(traceparent: string, tracestate?: string): SpanContext | null {
  const match = TRACEPARENT.exec(traceparent);
  if (!match || match[1] === INVALID_TRACE_ID || match[2] === INVALID_SPAN_ID) return null;
  return {
    traceId: match[1],
    spanId: match[2],
    traceFlags: parseInt(match[3], 16),
    isRemote: true,
    ...(tracestate ? { traceState: createTraceState(tracestate) } : {}),
  };
}

export function toSagaTraceContext(span: SpanContext): SagaTraceContext {
  const tracestate = span.traceState?.serialize();
  return { traceparent: formatTraceparent(span), ...(tracestate ? { tracestate } : {}) };
}
