/** What a step class implements and what it receives while it runs. */
import type { EntityManager } from 'typeorm';
import type { SagaHttpClient } from '../http/saga-http.client.js';

/** Context passed to every `execute` and `compensate` call. */
export interface StepContext {
  /** Id of the saga instance. */
  readonly sagaId: string;
  /** Name of the saga (`@Saga` name). */
  readonly sagaName: string;
  /** Name of this step (`@SagaStep` name). */
  readonly stepName: string;
  /** Zero-based position of the step in the saga. */
  readonly stepIndex: number;
  /** 1-based attempt number of this execution (or compensation) of the step. */
  readonly attempt: number;
  /**
   * Stable for a given saga and step, across attempts, crashes and instances: pass it to the
   * systems the step calls so that a repeated attempt has no second effect.
   */
  readonly idempotencyKey: string;
  /** Aborted when the attempt times out, the saga is cancelled, or the instance loses the saga. */
  readonly signal: AbortSignal;
  /** Outputs of the steps that completed before this one, keyed by step name. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /**
   * The params this step was given in the saga's plan (`{ step, params }` in a composition); the
   * same in `execute` and `compensate`, on every attempt. `{}` when none were given.
   */
  readonly params: Readonly<Record<string, unknown>>;
  /** `execute` or `compensate`. */
  readonly phase: 'execute' | 'compensate';
  /**
   * HTTP client for calls to other services from this attempt (a `SagaHttpClient` on `fetch`):
   * sends `Idempotency-Key: <idempotencyKey>` (`<idempotencyKey>:compensate` in `compensate`) and
   * the attempt's `traceparent`, is aborted with `signal`, and fails so the engine retries what is
   * worth retrying (no answer, 5xx, 408, 429) and not the rest (other 4xx: `NonRetryableStepError`).
   */
  readonly http: SagaHttpClient;
  /**
   * In a step registered with `transactional: true`: a TypeORM `EntityManager` in the transaction
   * that also writes this attempt's checkpoint (in `compensate`, the compensation's). Its writes
   * commit with the step's success and roll back with its failure, timeout or abort. Reading it in
   * any other step throws.
   */
  readonly manager: EntityManager;
}

/**
 * The contract of a class decorated with `@SagaStep`.
 * @typeParam TInput the saga's input
 * @typeParam TOutput what `execute` returns; stored as JSON and handed to `compensate`
 */
export interface SagaStepHandler<TInput = unknown, TOutput = unknown> {
  /** Does the step's work. Its result is stored durably before the next step starts. */
  execute(input: TInput, ctx: StepContext): Promise<TOutput> | TOutput;
  /**
   * Undoes the step. Receives the stored output, or `undefined` when the outcome of `execute` is
   * unknown (it timed out or was aborted): then look the effect up by `ctx.idempotencyKey`.
   */
  compensate?(input: TInput, output: TOutput | undefined, ctx: StepContext): Promise<void> | void;
}
