/**
 * `node apps/api/dist/main.js`: reads the environment, starts the api (embedded database unless
 * DATABASE_URL is set) and prints the dashboard URL, with the operator token when it made one.
 */
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { loadConfig } from './config/api-config.js';
import { AppLogger } from './logging/app-logger.js';
import { startupBanner } from './startup-banner.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new AppLogger({ format: config.logFormat, level: config.logLevel });
  const running = await createApp(config, { logger });
  const log = new Logger('Bootstrap');
  const banner = startupBanner(config, running);
  for (const line of banner.warn) log.warn(line);
  for (const line of banner.log) log.log(line);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log(`${signal} received: finishing running steps and shutting down`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error(`Shutdown failed: ${(error as Error).message}`, (error as Error).stack);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  new Logger('Bootstrap').fatal(`The api could not start: ${(error as Error)?.message ?? String(error)}`, (error as Error)?.stack);
  process.exit(1);
});
