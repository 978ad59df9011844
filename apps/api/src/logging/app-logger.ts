/**
 * The app's Nest LoggerService: one line per message, either human text or a JSON object per line
 * (`LOG_FORMAT=json`) with `time`, `level`, `context`, `msg` and any fields passed as an object.
 * One call is always exactly one line: messages carry values from requests (reasons, saga names,
 * idempotency keys), and a raw newline in one would let a client print a forged log line.
 * Nothing here knows about tokens: callers never pass them (the start-up URL line is the exception,
 * written by `main.ts` on purpose).
 */
import type { LoggerService, LogLevel } from '@nestjs/common';
import type { LogFormat, LogLevelName } from '../config/api-config.js';

const ORDER: Record<LogLevel, number> = { fatal: 0, error: 1, warn: 2, log: 3, debug: 4, verbose: 5 };

/**
 * What a terminal or a log collector may take as the end of a line or as a command: C0 controls
 * (newline, carriage return, tab, ESC of colour and cursor sequences), DEL, C1 controls (NEL ends a
 * line for some readers) and the Unicode line and paragraph separators.
 */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
/** The ones JSON.stringify leaves raw: DEL, C1 and the two separators. */
const JSON_RAW_CONTROL_CHARS = /[\u007f-\u009f\u2028\u2029]/g;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function unicodeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * Writes control characters as `\n`, `\r`, `\t` or `\uXXXX`, so the text stays on one line and shows
 * what was sent. Backslashes are left as they are: a literal `\n` in a value reads the same as an
 * escaped newline, but it cannot start a line.
 */
export function escapeControlChars(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => SHORT_ESCAPES[c] ?? unicodeEscape(c));
}

export interface AppLoggerOptions {
  format: LogFormat;
  level: LogLevelName;
  /** Where lines go; stdout by default (tests capture them). */
  write?: (line: string) => void;
}

/** Fields of a structured log message: `logger.log({ msg: '...', sagaId, ... })`. */
export type LogFields = { msg: string } & Record<string, unknown>;

export class AppLogger implements LoggerService {
  private maxLevel: number;
  private readonly write: (line: string) => void;

  constructor(private readonly options: AppLoggerOptions) {
    this.maxLevel = ORDER[options.level];
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  log(message: unknown, ...params: unknown[]): void {
    this.emit('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.emit('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.emit('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.emit('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.emit('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.emit('fatal', message, params);
  }

  setLogLevels(levels: LogLevel[]): void {
    this.maxLevel = Math.max(...levels.map((l) => ORDER[l]));
  }

  isEnabled(level: LogLevel): boolean {
    return ORDER[level] <= this.maxLevel;
  }

  private emit(level: LogLevel, message: unknown, params: unknown[]): void {
    if (!this.isEnabled(level)) return;
    // Nest's Logger passes the context last; `error` may carry a stack before it.
    const rest = [...params];
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    let stack: string | undefined;
    if ((level === 'error' || level === 'fatal') && typeof rest[0] === 'string') stack = rest.shift() as string;
    let msg: string;
    let fields: Record<string, unknown> = {};
    if (message instanceof Error) {
      msg = message.message;
      stack ??= message.stack;
    } else if (message !== null && typeof message === 'object') {
      const { msg: m, message: mm, ...others } = message as Record<string, unknown>;
      msg = String(m ?? mm ?? '');
      fields = others;
    } else {
      msg = String(message);
    }
    for (const extra of rest) {
      if (extra instanceof Error) stack ??= extra.stack;
      else if (extra !== null && typeof extra === 'object') fields = { ...fields, ...(extra as Record<string, unknown>) };
    }
    this.write(this.options.format === 'json' ? this.json(level, context, msg, fields, stack) : this.text(level, context, msg, fields, stack));
  }

  private json(level: LogLevel, context: string | undefined, msg: string, fields: Record<string, unknown>, stack?: string): string {
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, pid: process.pid };
    if (context) record.context = context;
    record.msg = msg;
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && !(k in record)) record[k] = v;
    if (stack) record.stack = stack;
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      line = JSON.stringify({ time: record.time, level, context, msg });
    }
    // Still valid JSON that parses to the same strings; only the raw characters go.
    return line.replace(JSON_RAW_CONTROL_CHARS, unicodeEscape);
  }

  private text(level: LogLevel, context: string | undefined, msg: string, fields: Record<string, unknown>, stack?: string): string {
    const extras = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    // The stack too, as the last field: its first line is the error's message, which may quote a request.
    if (stack) extras.push(`stack=${stack}`);
    const head = `${new Date().toISOString()} ${level.toUpperCase().padEnd(7)} ${context ? `[${context}] ` : ''}${msg}`;
    return escapeControlChars(extras.length > 0 ? `${head} ${extras.join(' ')}` : head);
  }
}
