import { describe, expect, it } from 'vitest';
import { SagaMetricsUnavailableError } from './saga-metrics.errors.js';
import { loadPromClient } from './prom-client.loader.js';

describe('loadPromClient', () => {
  it('loads prom-client when it is installed', async () => {
    const client = await loadPromClient();
    expect(typeof client.Registry).toBe('function');
    expect(typeof client.Counter).toBe('function');
  });

  it('says what to do when the optional peer prom-client is not installed', async () => {
    const missing = Object.assign(new Error("Cannot find package 'prom-client' imported from /app/node_modules/@nest-saga/saga/dist/x.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const error = await loadPromClient(() => Promise.reject(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SagaMetricsUnavailableError);
    expect(error).toMatchObject({ code: 'SAGA_METRICS_UNAVAILABLE', cause: missing });
    expect((error as Error).message).toContain('npm install prom-client');
  });

  it('lets other failures through as they are', async () => {
    const broken = new SyntaxError('Unexpected token');
    await expect(loadPromClient(() => Promise.reject(broken))).rejects.toBe(broken);
  });
});
