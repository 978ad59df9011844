/**
 * Boots the real api (the same `createApp` as `npm start`) on a fresh PostgreSQL database and a
 * random port, with fast engine settings. Used by the api's tests and the dashboard's browser tests.
 *
 *   const app = await startTestApp();
 *   await fetch(`${app.baseUrl}/api/sagas`, { headers: { authorization: `Bearer ${app.operatorToken}` } });
 *   await app.close(); // stops the app and drops the database
 */
import { randomBytes } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import type { SagaModuleOptions } from '@nest-saga/saga';
import { createTestDatabase } from '../../../../testing/test-database.js';
import { createApp, type RunningApp } from '../../src/app.factory.js';
import { loadConfig, type ApiConfig, type LogLevelName } from '../../src/config/api-config.js';
import { parseAdminTokens } from '@nest-saga/admin';

export interface StartTestAppOptions {
  /** `SAGA_ADMIN_TOKENS` syntax; default: one operator and one viewer token, random. */
  tokens?: string;
  /** Register the demo `order` saga. @default true */
  demo?: boolean;
  /** Use this database instead of making (and dropping) a fresh one. */
  databaseUrl?: string;
  /** Engine options on top of the fast test defaults. */
  sagaOptions?: Partial<SagaModuleOptions>;
  /** Anything else of the config (dataDir, dashboardDir, bodyLimit, ...). */
  config?: Partial<ApiConfig>;
  /** @default 'error' (or LOG_LEVEL) */
  logLevel?: LogLevelName;
  /** Where the app logs (to capture lines); by default the app's own logger on stdout. */
  logger?: LoggerService;
}

export interface TestApp {
  baseUrl: string;
  operatorToken: string;
  viewerToken: string;
  databaseUrl: string;
  running: RunningApp;
  close(): Promise<void>;
}

/** Engine settings that make tests quick: short polls and leases, stuck detection every second. */
export const FAST_SAGA_OPTIONS: Partial<SagaModuleOptions> = {
  pollIntervalMs: 50,
  leaseMs: 5_000,
  stuckCheckIntervalMs: 1_000,
  shutdownTimeoutMs: 2_000,
};

export async function startTestApp(options: StartTestAppOptions = {}): Promise<TestApp> {
  const tokens = options.tokens ?? `operator:op-${randomBytes(12).toString('hex')},viewer:vw-${randomBytes(12).toString('hex')}`;
  const parsed = parseAdminTokens(tokens);
  const database = options.databaseUrl ? undefined : await createTestDatabase('saga_api');
  const databaseUrl = options.databaseUrl ?? database!.url;
  const base = loadConfig({});
  const config: ApiConfig = {
    ...base,
    port: 0,
    host: '127.0.0.1',
    databaseUrl,
    adminTokens: parsed,
    generatedToken: false,
    demo: options.demo ?? true,
    logLevel: options.logLevel ?? ((process.env.LOG_LEVEL as LogLevelName | undefined) ?? 'error'),
    databaseRetryAttempts: 0,
    ...options.config,
    // Apps of one test may share a database: each is an instance of its own.
    sagaOptions: { instanceId: `test-${randomBytes(6).toString('hex')}`, ...FAST_SAGA_OPTIONS, ...options.sagaOptions, ...options.config?.sagaOptions },
  };
  let running: RunningApp;
  try {
    running = await createApp(config, { logger: options.logger });
  } catch (error) {
    await database?.drop().catch(() => undefined);
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    baseUrl: running.url,
    operatorToken: parsed.find((t) => t.role === 'operator')?.token ?? '',
    viewerToken: parsed.find((t) => t.role === 'viewer')?.token ?? '',
    databaseUrl: running.databaseUrl,
    running,
    close: () =>
      (closed ??= (async () => {
        try {
          await running.close();
        } finally {
          await database?.drop();
        }
      })()),
  };
}
