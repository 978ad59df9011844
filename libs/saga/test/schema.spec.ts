import { DataSource } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { sagaEntities, sagaMigrations } from '../src/index.js';

const dbs: TestDatabase[] = [];
const sources: DataSource[] = [];

afterAll(async () => {
  for (const ds of sources) if (ds.isInitialized) await ds.destroy();
  for (const db of dbs) await db.drop();
});

async function dataSource(options: { synchronize: boolean }): Promise<DataSource> {
  const db = await createTestDatabase('saga_schema');
  dbs.push(db);
  const ds = new DataSource({ type: 'postgres', url: db.url, entities: sagaEntities, migrations: sagaMigrations, logging: false, ...options });
  sources.push(ds);
  await ds.initialize();
  return ds;
}

/** Every index of the saga tables, as PostgreSQL describes it (columns, uniqueness, partial condition). */
async function indexes(ds: DataSource): Promise<unknown[]> {
  return ds.query(`
    SELECT t.relname AS table, i.relname AS name, ix.indisunique AS unique, pg_get_expr(ix.indpred, ix.indrelid) AS condition,
      array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns
    FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
    WHERE t.relname IN ('saga_instances', 'saga_events', 'saga_bulk_actions', 'saga_bulk_action_items', 'saga_step_pauses') AND NOT ix.indisprimary
    ORDER BY 1, 2`);
}

describe('schema', () => {
  it('the entities describe exactly what the shipped migrations create: migration:generate proposes no change', async () => {
    const ds = await dataSource({ synchronize: false });
    await ds.runMigrations();
    // What `typeorm migration:generate` runs to write a migration's up().
    const { upQueries } = await ds.driver.createSchemaBuilder().log();
    expect(upQueries.map((q) => q.query)).toEqual([]);
  });

  it('synchronize (tests and demos) builds the same indexes as the migrations, partial conditions included', async () => {
    const migrated = await dataSource({ synchronize: false });
    await migrated.runMigrations();
    const synchronized = await dataSource({ synchronize: true });
    expect(await indexes(synchronized)).toEqual(await indexes(migrated));
  });

  it('ships the bulk-action tables beside the saga tables', async () => {
    const ds = await dataSource({ synchronize: false });
    await ds.runMigrations();
    const tables: { table_name: string }[] = await ds.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'saga_%' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(['saga_bulk_action_items', 'saga_bulk_actions', 'saga_events', 'saga_instances', 'saga_step_pauses']);
    const names = (await indexes(ds)).map((i) => (i as { name: string }).name);
    expect(names).toEqual(expect.arrayContaining(['ix_saga_bulk_actions_created', 'ix_saga_bulk_actions_running']));
  });
});
