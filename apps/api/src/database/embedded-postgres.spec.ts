import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';

describe('embedded PostgreSQL (PGlite behind pglite-socket)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'saga-pglite-'));
  let embedded: EmbeddedPostgres;
  let pool: pg.Pool;

  beforeAll(async () => {
    embedded = await startEmbeddedPostgres(dir);
    pool = new pg.Pool({ connectionString: embedded.url, max: 8 });
    await pool.query('CREATE TABLE IF NOT EXISTS counters (id int PRIMARY KEY, n int NOT NULL)');
    await pool.query('INSERT INTO counters VALUES (1, 0) ON CONFLICT DO NOTHING');
  }, 60_000);
  afterAll(async () => {
    await pool?.end();
    await embedded?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps each connection’s parameterised queries apart under concurrency', async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        i % 3 === 0
          ? pool.query('SELECT $1::int AS v', [i]).then((r) => r.rows[0].v === i)
          : i % 3 === 1
            ? pool.query('SELECT $1::int + $2::int AS v', [i, 1]).then((r) => r.rows[0].v === i + 1)
            : pool.query("SELECT $1::text || $2::text || $3::text AS v", ['a', String(i), 'b']).then((r) => r.rows[0].v === `a${i}b`),
      ),
    );
    expect(results.every(Boolean)).toBe(true);
  });

  it('keeps large parameterised messages (split over several socket reads) apart', async () => {
    const big = 'x'.repeat(256 * 1024);
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 2 === 0
          ? pool.query('SELECT length($1::text) AS v', [big + i]).then((r) => r.rows[0].v === big.length + String(i).length)
          : pool.query('SELECT $1::int + $2::int AS v', [i, 1]).then((r) => r.rows[0].v === i + 1),
      ),
    );
    expect(results.every(Boolean)).toBe(true);
  });

  it('runs transactions of several connections one at a time without losing updates', async () => {
    const increments = Array.from({ length: 40 }, async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query('SELECT n FROM counters WHERE id = $1', [1]);
        await client.query('UPDATE counters SET n = $1 WHERE id = $2', [rows[0].n + 1, 1]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    await Promise.all(increments);
    expect((await pool.query('SELECT n FROM counters WHERE id = 1')).rows[0].n).toBe(40);
  });

  it('answers an error and then goes on serving', async () => {
    await expect(pool.query('SELECT * FROM no_such_table WHERE id = $1', [1])).rejects.toThrow(/no_such_table/);
    expect((await pool.query('SELECT $1::int AS v', [7])).rows[0].v).toBe(7);
  });
});
