import { SagaError } from '../errors/saga.errors.js';

/** `metrics` is on but the optional peer `prom-client` cannot be loaded: the app does not start. */
export class SagaMetricsUnavailableError extends SagaError {
  constructor(cause: unknown) {
    super(
      'SAGA_METRICS_UNAVAILABLE',
      'SagaModule.forRoot({ metrics }) turns Prometheus metrics on, but prom-client (an optional peer dependency of @nest-saga/saga) is not installed. ' +
        'Run `npm install prom-client` (version 15) in the app, or leave `metrics` unset.',
      {},
      { cause },
    );
  }
}

/** The metrics were asked for while `metrics` is off. */
export class SagaMetricsDisabledError extends SagaError {
  constructor() {
    super(
      'SAGA_METRICS_DISABLED',
      'Saga metrics are off. Turn them on with SagaModule.forRoot({ metrics: true }) (or { metrics: { registry } } to use your prom-client registry), and install prom-client.',
    );
  }
}
