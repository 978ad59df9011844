/**
 * Base class of a saga definition. It carries the input type so that `SagaService.start(OrderSaga, input)`
 * checks the input at compile time; the behaviour lives in the steps listed by `@Saga`.
 */
export abstract class SagaDefinition<TInput = unknown> {
  /** Never set: only carries the input type. */
  declare readonly __input?: TInput;
}

/** The input type of a saga definition class. */
export type SagaInputOf<T> = T extends SagaDefinition<infer I> ? I : never;
