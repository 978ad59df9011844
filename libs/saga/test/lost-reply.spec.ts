/**
 * A checkpoint whose reply is lost: the store applied it, then the connection dropped before the
 * engine heard so. The engine writes it again; the store answers the retry as applied, so every
 * step's success is recorded once and the saga finishes. On the in-memory, PostgreSQL and Redis
 * stores (the conformance suite states the store's side of it on PGlite too). Likewise a start
 * whose reply is lost: sent again with the same id, it is answered with the saga it created, so
 * `start()` returns it and the saga runs once (PostgreSQL and Redis: the stores with a connection
 * to lose).
 */
import type { INestApplication } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../../../testing/test-database.js';
import {
  PostgresSagaStore,
  SagaService,
  sagaMigrations,
  type Checkpoint,
  type CheckpointResult,
  type NewSaga,
  type NewSagaEvent,
  type SagaRecord,
  type SagaStore,
} from '../src/index.js';
import { RedisSagaStore } from '../src/redis/index.js';
import { InMemorySagaStore } from '../src/testing/index.js';
import { bootSagaAppOnStore } from './support/store-app.js';
import { deleteRedisPrefix, randomRedisPrefix, TEST_REDIS_URL } from './support/redis.js';
import { FlowModule, FlowSaga, Journal } from './support/flow.fixtures.js';

/** Counts lost replies; the first checkpoint that records step-b's success is applied, then its reply is lost. */
class ReplyLoser {
  lostReplies = 0;
  async after(cp: Checkpoint, result: CheckpointResult): Promise<CheckpointResult> {
    if (this.lostReplies === 0 && cp.events.some((e) => e.type === 'STEP_SUCCEEDED' && e.step === 'step-b')) {
      this.lostReplies++;
      throw Object.assign(new Error('Connection lost before the reply'), { code: 'ECONNRESET' });
    }
    return result;
  }
}

/** Counts the starts sent; the first is applied, then its reply is lost. */
class StartReplyLoser {
  inserts = 0;
  after(result: { saga: SagaRecord; created: boolean }): { saga: SagaRecord; created: boolean } {
    if (this.inserts++ === 0) throw Object.assign(new Error('Connection lost before the reply'), { code: 'ECONNRESET' });
    return result;
  }
}

class LosingStartRedisStore extends RedisSagaStore {
  readonly loser = new StartReplyLoser();
  override async insert(saga: NewSaga, events: NewSagaEvent[]) {
    return this.loser.after(await super.insert(saga, events));
  }
}

class LosingStartPostgresStore extends PostgresSagaStore {
  readonly loser = new StartReplyLoser();
  override async insert(saga: NewSaga, events: NewSagaEvent[]) {
    return this.loser.after(await super.insert(saga, events));
  }
}

class LosingInMemoryStore extends InMemorySagaStore {
  readonly loser = new ReplyLoser();
  override async checkpoint(cp: Checkpoint) {
    return this.loser.after(cp, await super.checkpoint(cp));
  }
}

class LosingRedisStore extends RedisSagaStore {
  readonly loser = new ReplyLoser();
  override async checkpoint(cp: Checkpoint) {
    return this.loser.after(cp, await super.checkpoint(cp));
  }
}

class LosingPostgresStore extends PostgresSagaStore {
  readonly loser = new ReplyLoser();
  override async checkpoint(cp: Checkpoint) {
    return this.loser.after(cp, await super.checkpoint(cp));
  }
}

let app: INestApplication | undefined;
let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
  await cleanup?.();
  cleanup = undefined;
});

/** A fresh database with the saga tables, and the store `make` builds on its pool (dropped after the test). */
async function onPostgres<S extends SagaStore>(make: (pool: pg.Pool) => S): Promise<S> {
  const db = await createTestDatabase('saga_lost_reply');
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  for (const Migration of sagaMigrations) await new Migration().up({ query: (q: string) => pool.query(q) } as any);
  cleanup = async () => {
    await pool.end();
    await db.drop();
  };
  return make(pool);
}

/** The store `make` builds on a key prefix of its own (deleted after the test). */
function onRedis<S extends RedisSagaStore>(make: (options: { url: string; keyPrefix: string }) => S): S {
  const store = make({ url: TEST_REDIS_URL, keyPrefix: randomRedisPrefix('lost-reply') });
  cleanup = () => deleteRedisPrefix(store.keyPrefix);
  return store;
}

const stores: [string, () => Promise<SagaStore & { loser: ReplyLoser }> | (SagaStore & { loser: ReplyLoser })][] = [
  ['in memory', () => new LosingInMemoryStore()],
  ['PostgreSQL', () => onPostgres((pool) => new LosingPostgresStore(pool))],
  ['Redis', () => onRedis((options) => new LosingRedisStore(options))],
];

describe.each(stores)('a checkpoint whose reply was lost, on the %s store', (_name, open) => {
  it('is written again and applied once: each step succeeds once in history and runs once', async () => {
    const store = await open();
    app = await bootSagaAppOnStore(store, { imports: [FlowModule] });
    const handle = await app.get(SagaService).start(FlowSaga, {});
    const detail = await handle.result({ timeoutMs: 30_000 });
    expect(store.loser.lostReplies).toBe(1);
    expect(detail.status).toBe('COMPLETED');
    const successes = detail.events.filter((e) => e.type === 'STEP_SUCCEEDED').map((e) => e.step);
    expect(successes).toEqual(['step-a', 'step-b', 'step-c', 'step-d']);
    expect(app.get(Journal).calls(handle.sagaId)).toEqual(['execute:step-a', 'execute:step-b', 'execute:step-c', 'execute:step-d']);
    expect(detail.events.map((e) => e.type)).not.toContain('LEASE_LOST');
  });
});

const startStores: [string, () => Promise<SagaStore & { loser: StartReplyLoser }> | (SagaStore & { loser: StartReplyLoser })][] = [
  ['PostgreSQL', () => onPostgres((pool) => new LosingStartPostgresStore(pool))],
  ['Redis', () => onRedis((options) => new LosingStartRedisStore(options))],
];

describe.each(startStores)('a start whose reply was lost, on the %s store', (_name, open) => {
  it('is sent again with the same id: start() returns the saga it created, which starts once and runs once', async () => {
    const store = await open();
    app = await bootSagaAppOnStore(store, { imports: [FlowModule] });
    const sagas = app.get(SagaService);
    const handle = await sagas.start(FlowSaga, {});
    const detail = await handle.result({ timeoutMs: 30_000 });
    // Sent twice, stored once.
    expect(store.loser.inserts).toBe(2);
    expect(detail.status).toBe('COMPLETED');
    expect(detail.events.filter((e) => e.type === 'SAGA_STARTED')).toHaveLength(1);
    expect(app.get(Journal).calls(handle.sagaId)).toEqual(['execute:step-a', 'execute:step-b', 'execute:step-c', 'execute:step-d']);
    expect((await sagas.list({ limit: 10 })).items.map((s) => s.id)).toEqual([handle.sagaId]);
  });
});
