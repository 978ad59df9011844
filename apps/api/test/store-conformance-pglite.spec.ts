/**
 * The store conformance suite on the embedded PGlite (served by pglite-socket, as the api runs it
 * when no DATABASE_URL is set), through the ordinary PostgreSQL store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresSagaStore, sagaMigrations } from '@nest-saga/saga';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { PostgresSagaRetentionStore } from '../../../libs/saga/src/lib/persistence/postgres-saga-retention.store.js';
import type { SqlPool } from '../../../libs/saga/src/lib/persistence/sql-pool.js';
import { describeSagaStoreConformance } from '../../../libs/saga/test/conformance/saga-store.conformance.js';

describeSagaStoreConformance('embedded PGlite', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'saga-conformance-pglite-'));
  const embedded = await startEmbeddedPostgres(dataDir);
  const pool = new pg.Pool({ connectionString: embedded.url, max: 4 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  for (const Migration of sagaMigrations) await new Migration().up({ query: (q: string) => pool.query(q) } as any);
  return {
    empty: async () => {
      await pool.query('TRUNCATE saga_events, saga_instances CASCADE');
      // One PGlite session serves every connection: prepared statement names would collide.
      return new PostgresSagaStore(pool, undefined, { preparedStatements: false });
    },
    retention: () => new PostgresSagaRetentionStore(() => pool as unknown as SqlPool),
    close: async () => {
      await pool.end();
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
