/**
 * Builds and starts the api from an `ApiConfig`: shared by `main.ts` and the tests, so both run the
 * same app. Order matters: the embedded database (when there is no DATABASE_URL) must serve before
 * Nest connects, and stops only after Nest has closed its pool.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { sagaAdminDashboardDir } from '@nest-saga/admin';
import { AppModule } from './app.module.js';
import type { ApiConfig } from './config/api-config.js';
import type { EmbeddedPostgres } from './database/embedded-postgres.js';
import { AppLogger } from './logging/app-logger.js';
import { DemoPaymentLink } from './demo/payment-service.js';
import { startTracing, type AppTracing } from './tracing/otel-tracing.js';

export interface RunningApp {
  app: NestExpressApplication;
  /** The port the server listens on (the chosen one when the config said 0). */
  port: number;
  /** `http://<host>:<port>` to reach it from this machine. */
  url: string;
  /** The PostgreSQL URL in use (the embedded server's when DATABASE_URL was unset). */
  databaseUrl: string;
  /** True when the dashboard files were found. */
  dashboardBuilt: boolean;
  /** Stops the server, the engine and, if embedded, the database. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Headers of every answer of this app; the console adds its Content-Security-Policy to its pages.
 * The dashboard is opened with `?token=` in its URL: never send that URL on as a Referer.
 */
function securityHeaders(_req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void): void {
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  next();
}

export interface CreateAppOptions {
  logger?: LoggerService;
}

export async function createApp(config: ApiConfig, options: CreateAppOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? new AppLogger({ format: config.logFormat, level: config.logLevel });
  Logger.overrideLogger(logger);
  const boot = new Logger('Bootstrap');
  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    boot.log(`No DATABASE_URL: starting the embedded PostgreSQL (PGlite) in ${config.dataDir}`);
    // PGlite (PostgreSQL in WASM) is loaded only here: an app on a PostgreSQL server never loads it.
    const { startEmbeddedPostgres } = await import('./database/embedded-postgres.js');
    embedded = await startEmbeddedPostgres(config.dataDir);
    databaseUrl = embedded.url;
  }

  let app: NestExpressApplication | undefined;
  let tracing: AppTracing | null = null;
  try {
    tracing = await startTracing(config);
    app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ ...config, databaseUrl, embeddedDatabase: embedded !== undefined }), {
      logger,
      bodyParser: false,
      abortOnError: false,
    });
    app.disable('x-powered-by');
    app.use(securityHeaders);
    // Only JSON bodies, and small ones: a bigger body is a 413 before any handler runs.
    app.useBodyParser('json', { limit: config.bodyLimit });
    const built = existsSync(join(config.dashboardDir ?? sagaAdminDashboardDir(), 'index.html'));
    if (config.host) await app.listen(config.port, config.host);
    else await app.listen(config.port);
    const address = app.getHttpServer().address() as AddressInfo;
    const host = !config.host || config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
    // The demo's payment step calls this app's own payment service: now its address is known.
    if (config.demo) app.get(DemoPaymentLink).resolve(url);
    const running = app;
    let closed: Promise<void> | undefined;
    return {
      app: running,
      port: address.port,
      url,
      databaseUrl,
      dashboardBuilt: built,
      close: () =>
        (closed ??= (async () => {
          try {
            await running.close();
          } finally {
            await tracing?.shutdown();
            await embedded?.stop();
          }
        })()),
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    await tracing?.shutdown();
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
}
