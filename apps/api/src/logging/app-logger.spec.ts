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

  it('prints a message with a forged line as one text line, the newline escaped', () => {
    const lines: string[] = [];
    const logger = new AppLogger({ format: 'text', level: 'log', write: (l) => lines.push(l) });
    logger.warn('Operator request rejected: oops\n2026-01-01 ERROR forged', 'Saga');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\n\r]/);
    expect(lines[0]).toMatch(/ WARN +\[Saga\] Operator request rejected: oops\\n2026-01-01 ERROR forged$/);
  });

  it('escapes control characters and line separators in the text message, context, fields and stack', () => {
    const lines: string[] = [];
    const logger = new AppLogger({ format: 'text', level: 'log', write: (l) => lines.push(l) });
    const nasty = 'a\r\tb\u0000c\u001b[31md\u007fe\u0085f\u009bg\u2028h\u2029i';
    const escaped = 'a\\r\\tb\\u0000c\\u001b[31md\\u007fe\\u0085f\\u009bg\\u2028h\\u2029i';
    logger.log({ msg: nasty, reason: nasty, [`k${nasty}`]: 1, data: { note: nasty } }, `Ctx${nasty}`);
    logger.error(`boom ${nasty}`, `Error: boom\n    at x`, 'Http');
    expect(lines).toHaveLength(2);
    // Every character that a terminal or a log collector could take as the end of a line, or as an escape sequence.
    for (const line of lines) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(lines[0]).toContain(`[Ctx${escaped}] ${escaped} reason=${escaped} k${escaped}=1 data={"note":"${escaped}"}`);
    expect(lines[1]).toMatch(/ ERROR +\[Http\] boom .* stack=Error: boom\\n    at x$/);
  });

  it('keeps JSON lines single: control characters stay escaped, line separators JSON leaves raw are escaped too', () => {
    const lines: string[] = [];
    const logger = new AppLogger({ format: 'json', level: 'log', write: (l) => lines.push(l) });
    const msg = 'x\n2026-01-01 ERROR forged\r\u0085\u2028\u2029\u001b[0m';
    logger.log({ msg, reason: msg }, `C\n${msg}`);
    logger.error(msg, `Error: ${msg}\n    at x`, 'Http');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(JSON.parse(lines[0])).toMatchObject({ context: `C\n${msg}`, msg, reason: msg });
    expect(JSON.parse(lines[1])).toMatchObject({ msg, stack: `Error: ${msg}\n    at x` });
  });

  it('receives what Nest loggers write once installed', () => {
    const lines: string[] = [];
    Logger.overrideLogger(new AppLogger({ format: 'json', level: 'log', write: (l) => lines.push(l) }));
    new Logger('Ctx').log('hello');
    expect(JSON.parse(lines[0])).toMatchObject({ context: 'Ctx', msg: 'hello' });
    Logger.overrideLogger(false as never);
  });
});
