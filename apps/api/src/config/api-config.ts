/**
 * Everything the app reads from its environment, parsed once at start. Code below `createApp`
 * receives an `ApiConfig` and never reads `process.env` itself, so tests configure it directly.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { SagaModuleOptions, SagaRetentionOptions } from '@nest-saga/saga';
import { parseAdminTokens, type AdminToken } from '@nest-saga/admin';

export type LogFormat = 'text' | 'json';
export type LogLevelName = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

export interface ApiConfig {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to listen on; undefined means all (IPv4 and IPv6), like Node's default. */
  host?: string;
  /** PostgreSQL URL; undefined means the embedded PGlite database in `dataDir`. */
  databaseUrl?: string;
  /** Directory of the embedded database (used only when `databaseUrl` is unset). */
  dataDir: string;
  /** Bearer tokens and their roles. */
  adminTokens: AdminToken[];
  /** True when the tokens were generated at start (SAGA_ADMIN_TOKENS unset): the start-up line prints the operator's. */
  generatedToken: boolean;
  /** Register the demo `order` saga, its tables, `/api/demo/ledger` and the demo's payment service. */
  demo: boolean;
  /**
   * Base URL at which the demo's payment step calls the demo's payment service.
   * @default undefined: this app's own address, once it listens
   */
  demoPaymentServiceUrl?: string;
  /** Bearer token between the demo's payment step and its payment service. @default random at each start */
  demoPaymentServiceToken: string;
  /**
   * OTLP/HTTP endpoint to export traces to (`<endpoint>/v1/traces`), from `OTEL_EXPORTER_OTLP_ENDPOINT`.
   * @default undefined: no export (the library's spans stay no-ops)
   */
  otlpEndpoint?: string;
  /** `service.name` of the exported spans, from `OTEL_SERVICE_NAME`. @default 'nest-saga-api' */
  otelServiceName: string;
  logFormat: LogFormat;
  logLevel: LogLevelName;
  /** Largest accepted request body, in a `bytes` string (`256kb`). */
  bodyLimit: string;
  /** Directory of the built dashboard; undefined resolves `apps/dashboard/dist` next to the api. */
  dashboardDir?: string;
  /** URL printed at start; defaults to `http://localhost:<port>`. */
  publicUrl?: string;
  /** Engine settings on top of the app's defaults. */
  sagaOptions: Partial<SagaModuleOptions>;
  /**
   * The library's retention job: finished sagas (not FAILED) older than `finishedAfterMs` are
   * deleted with their history. From `SAGA_RETENTION_DAYS`; null when it is 0 or `off`.
   * @default { finishedAfterMs: 30 days }
   */
  retention: SagaRetentionOptions | null;
  /** Run pending migrations at start. */
  migrationsRun: boolean;
  /** TypeORM connection attempts at start (0 in tests so a wrong URL fails fast). */
  databaseRetryAttempts: number;
  /**
   * Connections in the pool the engine, the admin API and the demo share.
   * @default 10
   */
  databasePoolSize: number;
  /**
   * How long a query waits for a free pooled connection (or a new one to open) before it fails.
   * Bounded so a starved pool fails requests and steps instead of hanging them.
   * @default 5000
   */
  databaseConnectTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function parseBoolean(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value.trim() === '') return fallback;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be true or false, not "${value}".`);
}

function parseInteger(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer >= ${min}, not "${value}".`);
  return n;
}

function optionalInteger(name: string, value: string | undefined, min = 1): number | undefined {
  return value === undefined || value.trim() === '' ? undefined : parseInteger(name, value, 0, min);
}

function parseUrl(name: string, value: string | undefined): string | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, not "${value}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${name} must be an http(s) URL, not "${value}".`);
  return v.replace(/\/+$/, '');
}

const DAY_MS = 86_400_000;
/** Days after which finished sagas are deleted, unless SAGA_RETENTION_DAYS says otherwise. */
export const DEFAULT_RETENTION_DAYS = 30;

/** `SAGA_RETENTION_DAYS`: a whole number of days (default 30); `0` or `off` turns retention off. */
function parseRetention(value: string | undefined): SagaRetentionOptions | null {
  const v = value?.trim().toLowerCase();
  if (!v) return { finishedAfterMs: DEFAULT_RETENTION_DAYS * DAY_MS };
  if (v === 'off' || v === '0') return null;
  const days = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(days * DAY_MS)) {
    throw new ConfigError(`SAGA_RETENTION_DAYS must be a whole number of days (${DEFAULT_RETENTION_DAYS} by default), or 0 or "off" to keep finished sagas forever, not "${value}".`);
  }
  return { finishedAfterMs: days * DAY_MS };
}

/** A fresh random operator token, printed once at start when no tokens are configured. */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Reads the configuration from environment variables (see the README's table). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const tokensVar = env.SAGA_ADMIN_TOKENS?.trim();
  const adminTokens = tokensVar ? parseAdminTokens(tokensVar) : [{ role: 'operator' as const, token: generateToken() }];
  const logFormat = (env.LOG_FORMAT?.trim().toLowerCase() || 'text') as LogFormat;
  if (logFormat !== 'text' && logFormat !== 'json') throw new ConfigError(`LOG_FORMAT must be "text" or "json", not "${env.LOG_FORMAT}".`);
  const logLevel = (env.LOG_LEVEL?.trim().toLowerCase() || 'log') as LogLevelName;
  if (!['error', 'warn', 'log', 'debug', 'verbose'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of error, warn, log, debug, verbose, not "${env.LOG_LEVEL}".`);
  }
  const sagaOptions: Partial<SagaModuleOptions> = {};
  const concurrency = optionalInteger('SAGA_CONCURRENCY', env.SAGA_CONCURRENCY);
  if (concurrency !== undefined) sagaOptions.concurrency = concurrency;
  const pollIntervalMs = optionalInteger('SAGA_POLL_INTERVAL_MS', env.SAGA_POLL_INTERVAL_MS);
  if (pollIntervalMs !== undefined) sagaOptions.pollIntervalMs = pollIntervalMs;
  const stuckAfterMs = optionalInteger('SAGA_STUCK_AFTER_MS', env.SAGA_STUCK_AFTER_MS);
  if (stuckAfterMs !== undefined) sagaOptions.stuckAfterMs = stuckAfterMs;
  const leaseMs = optionalInteger('SAGA_LEASE_MS', env.SAGA_LEASE_MS);
  if (leaseMs !== undefined) sagaOptions.leaseMs = leaseMs;
  const port = parseInteger('PORT', env.PORT, 3000);
  // Stable across restarts of the same pod or host, so a restarted instance takes its sagas back at
  // once instead of waiting for their leases to expire.
  sagaOptions.instanceId = env.SAGA_INSTANCE_ID?.trim() || `${hostname()}:${port}`;
  if (parseBoolean('SAGA_DISABLE_WORKER', env.SAGA_DISABLE_WORKER, false)) sagaOptions.disableWorker = true;

  return {
    port,
    host: env.HOST?.trim() || undefined,
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    dataDir: resolve(env.SAGA_DATA_DIR?.trim() || '.data'),
    adminTokens,
    generatedToken: !tokensVar,
    demo: parseBoolean('SAGA_DEMO', env.SAGA_DEMO, true),
    demoPaymentServiceUrl: parseUrl('SAGA_DEMO_PAYMENT_URL', env.SAGA_DEMO_PAYMENT_URL),
    demoPaymentServiceToken: env.SAGA_DEMO_PAYMENT_TOKEN?.trim() || generateToken(),
    otlpEndpoint: parseUrl('OTEL_EXPORTER_OTLP_ENDPOINT', env.OTEL_EXPORTER_OTLP_ENDPOINT),
    otelServiceName: env.OTEL_SERVICE_NAME?.trim() || 'nest-saga-api',
    logFormat,
    logLevel,
    bodyLimit: env.BODY_LIMIT?.trim() || '256kb',
    dashboardDir: env.DASHBOARD_DIR?.trim() ? resolve(env.DASHBOARD_DIR.trim()) : undefined,
    publicUrl: env.PUBLIC_URL?.trim() || undefined,
    sagaOptions,
    retention: parseRetention(env.SAGA_RETENTION_DAYS),
    migrationsRun: parseBoolean('SAGA_MIGRATIONS_RUN', env.SAGA_MIGRATIONS_RUN, true),
    databaseRetryAttempts: parseInteger('DATABASE_RETRY_ATTEMPTS', env.DATABASE_RETRY_ATTEMPTS, 10),
    databasePoolSize: parseInteger('DATABASE_POOL_SIZE', env.DATABASE_POOL_SIZE, 10, 1),
    // 0 would mean "wait forever" to pg: refused like any other non-positive value.
    databaseConnectTimeoutMs: parseInteger('DATABASE_CONNECT_TIMEOUT_MS', env.DATABASE_CONNECT_TIMEOUT_MS, 5_000, 1),
  };
}
