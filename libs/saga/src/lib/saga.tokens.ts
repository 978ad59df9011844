/** Injection tokens of the module's internals. */
export const SAGA_RESOLVED_OPTIONS = Symbol('SAGA_RESOLVED_OPTIONS');
/** prom-client, loaded at bootstrap when metrics are on; null when they are off. */
export const SAGA_PROM_CLIENT = Symbol('SAGA_PROM_CLIENT');
