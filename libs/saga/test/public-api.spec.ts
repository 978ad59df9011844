/**
 * The public API of @nest-saga/saga: what the package index exports (and what it keeps internal),
 * the deprecated names that still resolve, and the one store token as an app sees it.
 */
import type { INestApplication } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants.js';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import * as api from '../src/index.js';
import * as redisEntry from '../src/redis/index.js';
import * as testingEntry from '../src/testing/index.js';
import { InMemorySagaStore } from '../src/lib/persistence/in-memory-saga.store.js';
import { SagaStuckDetector } from '../src/lib/scheduler/saga-stuck.detector.js';
import { bootSagaApp } from './support/saga-app.js';
import { bootSagaAppOnStore } from './support/store-app.js';

/**
 * A store written against the package's exported types alone (it would not compile if one were
 * missing): it counts the calls and keeps the sagas in an in-memory store.
 */
class CountingStore extends api.SagaStore {
  readonly calls = new Map<string, number>();
  private readonly inner = new InMemorySagaStore();
  private count<T>(method: string, result: T): T {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    return result;
  }
  insert(saga: api.NewSaga, events: api.NewSagaEvent[]): Promise<{ saga: api.SagaRecord; created: boolean }> {
    return this.count('insert', this.inner.insert(saga, events));
  }
  checkpoint(checkpoint: api.Checkpoint): Promise<api.CheckpointResult> {
    return this.count('checkpoint', this.inner.checkpoint(checkpoint));
  }
  claimDue(ownerId: string, limit: number, leaseMs: number): Promise<api.ClaimedSaga[]> {
    return this.count('claimDue', this.inner.claimDue(ownerId, limit, leaseMs));
  }
  reclaim(ownerId: string, limit: number, leaseMs: number): Promise<api.ClaimedSaga[]> {
    return this.count('reclaim', this.inner.reclaim(ownerId, limit, leaseMs));
  }
  claimOne(sagaId: string, ownerId: string, leaseMs: number): Promise<api.ClaimedSaga | null> {
    return this.count('claimOne', this.inner.claimOne(sagaId, ownerId, leaseMs));
  }
  renewLeases(ownerId: string, sagas: { sagaId: string; fence: number }[], leaseMs: number): Promise<api.LeaseRenewal[]> {
    return this.count('renewLeases', this.inner.renewLeases(ownerId, sagas, leaseMs));
  }
  pendingRequests(ownerId: string): Promise<api.LeaseRenewal[]> {
    return this.count('pendingRequests', this.inner.pendingRequests(ownerId));
  }
  releaseAll(ownerId: string, sagas: { sagaId: string; fence: number }[], delayMs?: number): Promise<void> {
    return this.count('releaseAll', this.inner.releaseAll(ownerId, sagas, delayMs));
  }
  request(sagaId: string, request: api.SagaRequest, allowed: api.SagaStatus[], event: api.NewSagaEvent | null): Promise<api.SagaRecord | null> {
    return this.count('request', this.inner.request(sagaId, request, allowed, event));
  }
  appendEvents(sagaId: string, events: api.NewSagaEvent[]): Promise<void> {
    return this.count('appendEvents', this.inner.appendEvents(sagaId, events));
  }
  get(sagaId: string): Promise<api.SagaRecord | null> {
    return this.count('get', this.inner.get(sagaId));
  }
  getEvents(sagaId: string): Promise<api.SagaEventRecord[]> {
    return this.count('getEvents', this.inner.getEvents(sagaId));
  }
  list(filter: api.SagaListFilter): Promise<api.SagaListPage> {
    return this.count('list', this.inner.list(filter));
  }
  stats(): Promise<api.SagaStats> {
    return this.count('stats', this.inner.stats());
  }
  runningVersions(): Promise<api.SagaVersionRow[]> {
    return this.count('runningVersions', this.inner.runningVersions());
  }
  findStuckCandidates(stuckAfterMs: number): Promise<api.StuckCandidate[]> {
    return this.count('findStuckCandidates', this.inner.findStuckCandidates(stuckAfterMs));
  }
  markStuck(marks: api.StuckMark[]): Promise<void> {
    return this.count('markStuck', this.inner.markStuck(marks));
  }
  ping(): Promise<void> {
    return this.count('ping', this.inner.ping());
  }
}

describe('the package index', () => {
  it('exports the module, the service, the store contract and the stores an app constructs', () => {
    for (const name of ['SagaModule', 'SagaService', 'SagaStore', 'PostgresSagaStore', 'sagaEntities', 'sagaMigrations'] as const) {
      expect(api[name], name).toBeDefined();
    }
    expect(Object.getPrototypeOf(api.PostgresSagaStore)).toBe(api.SagaStore);
    // The other stores are public through entries of their own (their dependencies stay optional).
    expect(Object.getPrototypeOf(redisEntry.RedisSagaStore)).toBe(api.SagaStore);
    expect(testingEntry.InMemorySagaStore).toBe(InMemorySagaStore);
    expect(Object.getPrototypeOf(testingEntry.InMemorySagaStore)).toBe(api.SagaStore);
  });

  it.each([
    'SagaStuckDetector',
    'classifyStuck',
    'DEFAULT_RETRY_POLICY',
    'SagaInstanceEntity',
    'SagaEventEntity',
    'SagaBulkActionEntity',
    'SagaBulkActionItemEntity',
    'SagaStepPauseEntity',
  ])('keeps %s internal', (name) => {
    expect(name in api).toBe(false);
  });

  it('still registers every entity through sagaEntities', () => {
    expect(api.sagaEntities.map((entity) => entity.name)).toEqual([
      'SagaInstanceEntity',
      'SagaEventEntity',
      'SagaBulkActionEntity',
      'SagaBulkActionItemEntity',
      'SagaStepPauseEntity',
    ]);
  });

  it('keeps the deprecated names working: TypeOrmSagaStore is PostgresSagaStore, SAGA_STORE a token', () => {
    expect(api.TypeOrmSagaStore).toBe(api.PostgresSagaStore);
    expect(typeof api.SAGA_STORE).toBe('symbol');
  });

  it('exports no provider from SagaModule that only the library injects', () => {
    const exported = Reflect.getMetadata(MODULE_METADATA.EXPORTS, api.SagaModule) as unknown[];
    expect(exported).toEqual(expect.arrayContaining([api.SagaService, api.SagaStore, api.SAGA_STORE]));
    expect(exported).not.toContain(SagaStuckDetector);
  });
});

describe('the store token', () => {
  it('in memory: SagaStore and the deprecated SAGA_STORE are the store passed in the options', async () => {
    const { module, store, close } = await testingEntry.createSagaTestingModule({});
    try {
      expect(module.get(api.SagaStore)).toBe(store);
      expect(module.get(api.SAGA_STORE)).toBe(module.get(api.SagaStore));
    } finally {
      await close();
    }
  });

  it('a custom store passed in the options is the one SagaStore (and SAGA_STORE) resolve to, and the one the engine uses', async () => {
    const store = new CountingStore();
    const app = await bootSagaAppOnStore(store, {});
    try {
      expect(app.get(api.SagaStore)).toBe(store);
      expect(app.get(api.SAGA_STORE)).toBe(store);
      await app.get(api.SagaService).list({});
      expect(store.calls.get('list')).toBe(1);
    } finally {
      await app.close();
    }
  });

  describe('on PostgreSQL', () => {
    let db: TestDatabase | undefined;
    let app: INestApplication | undefined;

    afterAll(async () => {
      await app?.close();
      await db?.drop();
    });

    it('SagaStore is the PostgreSQL store the module built, and SAGA_STORE the same instance', async () => {
      db = await createTestDatabase('saga_public_api');
      app = await bootSagaApp(db.url, {});
      const store = app.get(api.SagaStore);
      expect(store).toBeInstanceOf(api.PostgresSagaStore);
      expect(app.get(api.SAGA_STORE)).toBe(store);
    });
  });
});
