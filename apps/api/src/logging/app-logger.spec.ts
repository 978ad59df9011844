import { Logger } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { AppLogger } from './app-logger.js';

describe('AppLogger', () => {
  it('writes JSON lines with time, level, context, message and structured fields', () => {
    const lines: string[] = [];
    const logger = new AppLogger({ format: 'json', level: 'log', write: (l) => lines.push(l) });
    logger.log({ msg: 'Saga "order" completed', sagaId: 'abc', status: 'COMPLETED' }, 'Saga');
    logger.error('boom', 'Error: boom\n    at x', 'Http');
    logger.debug('hidden', 'Saga');
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ level: 'log', context: 'Saga', msg: 'Saga "order" completed', sagaId: 'abc', status: 'COMPLETED' });
    expect(new Date(first.time).toString()).not.toBe('Invalid Date');
    expect(second).toMatchObject({ level: 'error', context: 'Http', msg: 'boom', stack: 'Error: boom\n    at x' });
  });

  it('writes readable text lines by default', () => {
    const lines: string[] = [];
    const logger = new AppLogger({ format: 'text', level: 'debug', write: (l) => lines.push(l) });
    logger.warn({ msg: 'slow', ms: 12 }, 'Db');
    logger.debug('details');
    expect(lines[0]).toMatch(/ WARN +\[Db\] slow ms=12$/);
    expect(lines[1]).toMatch(/ DEBUG +details$/);
  });

  it('receives what Nest loggers write once installed', () => {
    const lines: string[] = [];
    Logger.overrideLogger(new AppLogger({ format: 'json', level: 'log', write: (l) => lines.push(l) }));
    new Logger('Ctx').log('hello');
    expect(JSON.parse(lines[0])).toMatchObject({ context: 'Ctx', msg: 'hello' });
    Logger.overrideLogger(false as never);
  });
});
