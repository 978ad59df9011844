import { describe, expect, it } from 'vitest';
import { SagaConfigurationError } from './errors/saga.errors.js';
import { resolveSagaOptions } from './saga-options.js';

describe('instanceId', () => {
  it('keeps a stable id given by the app (a pod name), so a restart can take its sagas back', () => {
    expect(resolveSagaOptions({ instanceId: 'orders-api-7d9f-0' }).instanceId).toBe('orders-api-7d9f-0');
  });

  it('is new at every start when unset', () => {
    expect(resolveSagaOptions().instanceId).not.toBe(resolveSagaOptions().instanceId);
  });

  it('refuses an empty id or one longer than the stored owner column', () => {
    for (const instanceId of ['', '  ', 'x'.repeat(201)]) {
      expect(() => resolveSagaOptions({ instanceId })).toThrow(SagaConfigurationError);
    }
    expect(() => resolveSagaOptions({ instanceId: 'x'.repeat(200) })).not.toThrow();
  });
});

describe('store', () => {
  it("takes 'postgres' (the default), its earlier name 'typeorm', or a SagaStore instance", async () => {
    const { InMemorySagaStore } = await import('./persistence/in-memory-saga.store.js');
    for (const store of [undefined, 'postgres', 'typeorm', new InMemorySagaStore()] as const) {
      expect(() => resolveSagaOptions({ store })).not.toThrow();
    }
  });

  it('refuses any other value, naming what it takes', () => {
    for (const store of ['redis', 'pg', {}, null]) {
      expect(() => resolveSagaOptions({ store: store as never })).toThrow(/store must be 'postgres' \(the default\) or a SagaStore instance/);
    }
  });
});
