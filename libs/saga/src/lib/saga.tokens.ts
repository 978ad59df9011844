/** Injection tokens of the module's internals. */
export const SAGA_RESOLVED_OPTIONS = Symbol('SAGA_RESOLVED_OPTIONS');
