/**
 * The app's pool is the one DATABASE_POOL_SIZE and DATABASE_CONNECT_TIMEOUT_MS describe: it opens no
 * more connections than configured, and a query that finds none free fails after the configured
 * wait instead of queueing forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource, type QueryRunner } from 'typeorm';
import { loadConfig } from '../src/config/api-config.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('the database pool', () => {
  let app: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    const { databasePoolSize, databaseConnectTimeoutMs } = loadConfig({ DATABASE_POOL_SIZE: '3', DATABASE_CONNECT_TIMEOUT_MS: '300' });
    // No worker and no stuck detector: nothing but this test takes connections.
    app = await startTestApp({
      demo: false,
      config: { databasePoolSize, databaseConnectTimeoutMs },
      sagaOptions: { disableWorker: true, disableStuckDetector: true },
    });
    db = app.running.app.get(DataSource);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('holds DATABASE_POOL_SIZE connections and times a further query out after DATABASE_CONNECT_TIMEOUT_MS', async () => {
    const held: QueryRunner[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const runner = db.createQueryRunner();
        await runner.connect();
        held.push(runner);
      }
      await expect(db.query('SELECT 1')).rejects.toThrow(/timeout exceeded when trying to connect/);
    } finally {
      await Promise.all(held.map((r) => r.release()));
    }
    await expect(db.query('SELECT 1 AS "one"')).resolves.toEqual([{ one: 1 }]);
  });
});
