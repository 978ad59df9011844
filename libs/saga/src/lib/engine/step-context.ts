/**
 * Builds the `StepContext` an attempt receives. `http` is made on first use only, bound to the
 * attempt's trace, so attempts that make no calls pay nothing for it; so is `signal` when it is
 * given as a function (the engine's: attempts that never read it have no AbortController). `manager` exists only in
 * transactional steps; reading it elsewhere throws, so a missing `transactional: true` shows at once.
 */
import type { Context } from '@opentelemetry/api';
import type { EntityManager } from 'typeorm';
import { SagaHttpClient } from '../http/saga-http.client.js';
import type { StepContext } from '../interfaces/step.interface.js';
import { bindStepTrace } from '../tracing/saga-tracing.js';

const defaultHttp = new SagaHttpClient();

/** `signal` may be given as a function: it is called (once) when the step first reads `ctx.signal`. */
export type StepContextFields = Omit<StepContext, 'http' | 'manager' | 'signal'> & { manager?: EntityManager; signal: AbortSignal | (() => AbortSignal) };

export function createStepContext(fields: StepContextFields, traceContext: Context, http: SagaHttpClient = defaultHttp): StepContext {
  let bound: SagaHttpClient | undefined;
  const { manager, signal, ...rest } = fields;
  let made: AbortSignal | undefined;
  const ctx = Object.defineProperties(
    { ...rest },
    {
      signal:
        typeof signal === 'function'
          ? { enumerable: true, get: () => (made ??= signal()) }
          : { enumerable: true, value: signal },
      http: { enumerable: true, get: () => (bound ??= http.forStep(ctx)) },
      manager: {
        enumerable: false,
        get: () => {
          if (manager) return manager;
          throw new Error(
            `ctx.manager exists only in transactional steps: register "${fields.stepName}" with @SagaStep('${fields.stepName}', { transactional: true }).`,
          );
        },
      },
    },
  ) as StepContext;
  bindStepTrace(ctx, traceContext);
  return ctx;
}
