import { Logger } from '@nestjs/common';
import type { Logger as OrmLogger } from 'typeorm';

/**
 * TypeORM's messages through the app's logger. Query parameters are never logged (they hold saga
 * inputs); failed queries are debug-level because callers handle or report their errors.
 */
export class TypeOrmLogger implements OrmLogger {
  private readonly logger = new Logger('TypeORM');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    this.logger.debug({ msg: `Query failed: ${typeof error === 'string' ? error : error.message}`, query: query.slice(0, 300) });
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ msg: `Slow query (${time} ms)`, query: query.slice(0, 300) });
  }

  logSchemaBuild(message: string): void {
    // TypeORM reports applied migrations through the schema-build channel.
    if (/^Migration .* executed successfully/.test(message)) this.logger.log(message);
    else this.logger.debug(message);
  }

  logMigration(message: string): void {
    if (/failed/i.test(message)) this.logger.error(message);
    else this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.debug(String(message));
  }
}
