export const SAGA_STEP_METADATA = 'nest-saga:step';
export const SAGA_METADATA = 'nest-saga:saga';
export const SAGA_STORE = Symbol('SAGA_STORE');
export const SAGA_STUCK_INTERVAL_NAME = 'nest-saga:stuck-detector';
