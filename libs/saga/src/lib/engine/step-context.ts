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

/**
 * One attempt's context. Its fields are own properties, as are `signal` and `http` (enumerable
 * accessors) and `manager` (not enumerable), as an object literal would have them; the accessors are
 * shared by every context (one set of descriptors, state in private fields), so a context costs a
 * few hundred bytes and no closures, where per-object descriptors cost about 900 bytes and made the
 * object a slow dictionary.
 */
class AttemptStepContext {
  readonly sagaId: string;
  readonly sagaName: string;
  readonly stepName: string;
  readonly stepIndex: number;
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly params: Readonly<Record<string, unknown>>;
  readonly phase: 'execute' | 'compensate';
  #signal: AbortSignal | (() => AbortSignal);
  #manager: EntityManager | undefined;
  #http: SagaHttpClient;
  #bound: SagaHttpClient | undefined;

  static readonly #accessors: PropertyDescriptorMap = {
    signal: {
      enumerable: true,
      get(this: AttemptStepContext): AbortSignal {
        if (typeof this.#signal === 'function') this.#signal = this.#signal();
        return this.#signal;
      },
    },
    http: {
      enumerable: true,
      get(this: AttemptStepContext): SagaHttpClient {
        return (this.#bound ??= this.#http.forStep(this as unknown as StepContext));
      },
    },
    manager: {
      enumerable: false,
      get(this: AttemptStepContext): EntityManager {
        if (this.#manager) return this.#manager;
        throw new Error(
          `ctx.manager exists only in transactional steps: register "${this.stepName}" with @SagaStep('${this.stepName}', { transactional: true }).`,
        );
      },
    },
  };

  constructor(fields: StepContextFields, http: SagaHttpClient) {
    this.sagaId = fields.sagaId;
    this.sagaName = fields.sagaName;
    this.stepName = fields.stepName;
    this.stepIndex = fields.stepIndex;
    this.attempt = fields.attempt;
    this.idempotencyKey = fields.idempotencyKey;
    this.outputs = fields.outputs;
    this.params = fields.params;
    this.phase = fields.phase;
    this.#signal = fields.signal;
    this.#manager = fields.manager;
    this.#http = http;
    Object.defineProperties(this, AttemptStepContext.#accessors);
  }
}

export function createStepContext(fields: StepContextFields, traceContext: Context, http: SagaHttpClient = defaultHttp): StepContext {
  const ctx = new AttemptStepContext(fields, http) as unknown as StepContext;
  bindStepTrace(ctx, traceContext);
  return ctx;
}
