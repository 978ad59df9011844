/**
 * `@nest-saga/saga/redis`: the Redis store. A separate entry, so apps on PostgreSQL never load a
 * Redis client (`redis` is an optional peer dependency, needed only by apps that import this).
 */
export { RedisSagaStore } from '../lib/persistence/redis/redis-saga.store.js';
export type { RedisSagaStoreOptions, RedisCommander } from '../lib/persistence/redis/redis-saga.store.js';
