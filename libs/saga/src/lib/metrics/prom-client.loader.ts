/**
 * `prom-client` is an optional peer: it is imported only when metrics are turned on, so an app that
 * leaves them off never needs it installed.
 */
import { SagaMetricsUnavailableError } from './saga-metrics.errors.js';

export type PromClient = typeof import('prom-client');

export async function loadPromClient(importer: () => Promise<unknown> = () => import('prom-client')): Promise<PromClient> {
  let loaded: unknown;
  try {
    loaded = await importer();
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const notFound = e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND';
    if (notFound && String(e.message).includes('prom-client')) throw new SagaMetricsUnavailableError(error);
    throw error;
  }
  // A CommonJS package seen from ESM: its exports are named ones, or under `default`.
  const mod = loaded as PromClient & { default?: PromClient };
  return typeof mod.Registry === 'function' ? mod : (mod.default as PromClient);
}
