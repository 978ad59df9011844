/**
 * The app's pg pool, found lazily through its TypeORM DataSource (TypeORM's async providers may not
 * exist yet while ours are built). Stores that need a transaction of their own take a client from it.
 */
import type { ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { SagaConfigurationError } from '../errors/saga.errors.js';
import { PostgresSagaStore, type SqlClient } from './postgres-saga.store.js';

/** A pooled connection, held for a transaction; give it back with `release()`. */
export interface SqlConnection extends SqlClient {
  release(error?: Error | boolean): void;
}

/** The part of a pg Pool the maintenance stores use. */
export interface SqlPool extends SqlClient {
  connect(): Promise<SqlConnection>;
}

/** Resolves the pool on first use and keeps it. */
export function lazySqlPool(moduleRef: ModuleRef, dataSourceName: string | undefined, feature: string): () => SqlPool {
  let pool: SqlPool | undefined;
  return () => {
    if (pool) return pool;
    let dataSource: DataSource;
    try {
      dataSource = moduleRef.get<DataSource>(getDataSourceToken(dataSourceName) as string, { strict: false });
    } catch {
      throw new SagaConfigurationError(
        `${feature} need the TypeORM DataSource of the saga tables, and none was found. Import TypeOrmModule.forRoot({ type: "postgres", entities: [...sagaEntities], migrations: [...sagaMigrations], migrationsRun: true }) in your app module.`,
      );
    }
    const candidate = PostgresSagaStore.poolOf(dataSource) as Partial<SqlPool>;
    if (typeof candidate.connect !== 'function') {
      throw new SagaConfigurationError(`${feature} need a pg Pool behind the TypeORM DataSource (the "postgres" driver).`);
    }
    pool = candidate as SqlPool;
    return pool;
  };
}
