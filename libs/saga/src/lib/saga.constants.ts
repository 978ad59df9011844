export const SAGA_STEP_METADATA = 'nest-saga:step';
export const SAGA_METADATA = 'nest-saga:saga';
/**
 * @deprecated inject SagaStore: the abstract class is the store's token. This one is an alias
 * provider (`useExisting: SagaStore`), resolving to the same instance.
 */
export const SAGA_STORE = Symbol('SAGA_STORE');
export const SAGA_STUCK_INTERVAL_NAME = 'nest-saga:stuck-detector';
