/**
 * Builds the `StepContext` an attempt receives. `http` is made on first use only, bound to the
 * attempt's trace, so attempts that make no calls pay nothing for it. `manager` exists only in
 * transactional steps; reading it elsewhere throws, so a missing `transactional: true` shows at once.
 */
import type { Context } from '@opentelemetry/api';
import type { EntityManager } from 'typeorm';
import { SagaHttpClient } from '../http/saga-http.client.js';
import type { StepContext } from '../interfaces/step.interface.js';
import { bindStepTrace } from '../tracing/saga-tracing.js';

const defaultHttp = new SagaHttpClient();

export type StepContextFields = Omit<StepContext, 'http' | 'manager'> & { manager?: EntityManager };

export function createStepContext(fields: StepContextFields, traceContext: Context, http: SagaHttpClient = defaultHttp): StepContext {
  let bound: SagaHttpClient | undefined;
  const { manager, ...rest } = fields;
  const ctx = Object.defineProperties(
    { ...rest },
    {
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
