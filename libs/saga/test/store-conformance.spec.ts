/**
 * The store conformance suite on the in-memory store, PostgreSQL and Redis (the embedded PGlite run
 * is in apps/api/test/store-conformance-pglite.spec.ts, next to the embedded server it needs).
 */
import pg from 'pg';
import { createTestDatabase } from '../../../testing/test-database.js';
import { InMemorySagaStore } from '../src/testing/index.js';
import { PostgresSagaStore, sagaMigrations } from '../src/index.js';
import { PostgresSagaRetentionStore } from '../src/lib/persistence/postgres-saga-retention.store.js';
import type { SqlPool } from '../src/lib/persistence/sql-pool.js';
import { describeSagaStoreConformance } from './conformance/saga-store.conformance.js';
import { openRedisTarget } from './support/redis.js';

describeSagaStoreConformance('in memory', () => ({ empty: async () => new InMemorySagaStore() }));

describeSagaStoreConformance('PostgreSQL', async () => {
  const db = await createTestDatabase('saga_conformance');
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  for (const Migration of sagaMigrations) await new Migration().up({ query: (q: string) => pool.query(q) } as any);
  return {
    empty: async () => {
      await pool.query('TRUNCATE saga_events, saga_instances CASCADE');
      return new PostgresSagaStore(pool);
    },
    retention: () => new PostgresSagaRetentionStore(() => pool as unknown as SqlPool),
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
});

describeSagaStoreConformance('Redis', () => openRedisTarget());
