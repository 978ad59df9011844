/**
 * Builds the `StepContext` an attempt receives. `http` is made on first use only, bound to the
 * attempt's trace, so attempts that make no calls pay nothing for it.
 */
import type { Context } from '@opentelemetry/api';
import { SagaHttpClient } from '../http/saga-http.client.js';
import type { StepContext } from '../interfaces/step.interface.js';
import { bindStepTrace } from '../tracing/saga-tracing.js';

const defaultHttp = new SagaHttpClient();

export function createStepContext(fields: Omit<StepContext, 'http'>, traceContext: Context, http: SagaHttpClient = defaultHttp): StepContext {
  let bound: SagaHttpClient | undefined;
  const ctx = Object.defineProperty({ ...fields }, 'http', {
    enumerable: true,
    get: () => (bound ??= http.forStep(ctx)),
  }) as StepContext;
  bindStepTrace(ctx, traceContext);
  return ctx;
}
