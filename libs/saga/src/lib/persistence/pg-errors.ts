/**
 * Sorts PostgreSQL (node-postgres) errors by what the writer should do next: a refused value will
 * be refused again (give up on that item), an unreachable database fails everything alike (retry
 * later, and do not try items one by one).
 */

import { hasNetworkCode } from './network-errors.js';

/** The SQLSTATE of a PostgreSQL error (`22P05`), or null for other errors (network, driver). */
export function sqlStateOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/**
 * Class 22 (data exception: `22P05` NUL in JSON, `22P02` bad JSON such as a lone surrogate, `22021`
 * bad encoding, `22001` value too long) and class 54 (program limit exceeded: a jsonb value too
 * large or too deep). Both depend only on the data written, never on timing.
 */
export function isDataRefusal(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== null && (state.startsWith('22') || state.startsWith('54'));
}

/** The database cannot be reached or is going away: connection errors, shutdowns, too many clients. */
export function isConnectionFailure(error: unknown): boolean {
  if (hasNetworkCode(error)) return true;
  const state = sqlStateOf(error);
  if (state && (state.startsWith('08') || state.startsWith('57P') || state === '53300')) return true;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message);
}
