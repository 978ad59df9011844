/**
 * A checkpoint whose reply is lost: the store applied it, then the connection dropped before the
 * engine heard so. The engine writes it again; the store answers the retry as applied, so every
 * step's success is recorded once and the saga finishes. On the in-memory, PostgreSQL and Redis
 * stores (the conformance suite states the store's side of it on PGlite too).
 */
import type { INestApplication } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase } from '../../../testing/test-database.js';
import { PostgresSagaStore, SagaService, sagaMigrations, type Checkpoint, type CheckpointResult, type SagaStore } from '../src/index.js';
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

const stores: [string, () => Promise<SagaStore & { loser: ReplyLoser }> | (SagaStore & { loser: ReplyLoser })][] = [
  ['in memory', () => new LosingInMemoryStore()],
  [
    'PostgreSQL',
    async () => {
      const db = await createTestDatabase('saga_lost_reply');
      const pool = new pg.Pool({ connectionString: db.url, max: 4 });
      for (const Migration of sagaMigrations) await new Migration().up({ query: (q: string) => pool.query(q) } as any);
      cleanup = async () => {
        await pool.end();
        await db.drop();
      };
      return new LosingPostgresStore(pool);
    },
  ],
  [
    'Redis',
    () => {
      const store = new LosingRedisStore({ url: TEST_REDIS_URL, keyPrefix: randomRedisPrefix('lost-reply') });
      cleanup = () => deleteRedisPrefix(store.keyPrefix);
      return store;
    },
  ],
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
