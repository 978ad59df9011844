/**
 * Redis for tests: the server named by SAGA_TEST_REDIS_URL (default redis://127.0.0.1:6379), a
 * random key prefix per store, and every key of that prefix deleted afterwards (SCAN + DEL; never
 * FLUSHDB: the server is shared). A missing server is a failure, never a skip.
 */
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { RedisSagaStore } from '../../src/redis/index.js';
import type { ConformanceTarget } from '../conformance/saga-store.conformance.js';

export const TEST_REDIS_URL = process.env.SAGA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export const randomRedisPrefix = (name = 'test') => `saga-test:${name}:${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;

/** Deletes every key starting with `prefix`. */
export async function deleteRedisPrefix(prefix: string): Promise<void> {
  const client = createClient({ url: TEST_REDIS_URL });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Cannot reach the test Redis at ${TEST_REDIS_URL} (${(error as Error).message}). Start redis-server or set SAGA_TEST_REDIS_URL.`);
  }
  try {
    let cursor = '0';
    do {
      const reply = (await client.sendCommand(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [string, string[]];
      cursor = reply[0];
      if (reply[1].length) await client.sendCommand(['UNLINK', ...reply[1]]);
    } while (cursor !== '0');
  } finally {
    await client.close();
  }
}

/** A conformance target: each `empty()` is a new store on a new prefix; all of them are deleted at the end. */
export function openRedisTarget(): ConformanceTarget {
  const stores: RedisSagaStore[] = [];
  return {
    empty: async () => {
      const store = new RedisSagaStore({ url: TEST_REDIS_URL, keyPrefix: randomRedisPrefix('conformance') });
      await store.ping();
      stores.push(store);
      return store;
    },
    close: async () => {
      for (const store of stores) {
        await store.close();
        await deleteRedisPrefix(store.keyPrefix);
      }
    },
  };
}
