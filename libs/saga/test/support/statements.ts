import type { DataSource } from 'typeorm';

/** Records every statement sent through the app's pg pool. */
export function recordStatements(dataSource: DataSource): { statements: string[]; names: (string | null)[]; stop(): void } {
  const pool = (dataSource.driver as unknown as { master: { query: (...args: unknown[]) => unknown } }).master;
  const original = pool.query;
  const statements: string[] = [];
  const names: (string | null)[] = [];
  pool.query = function (this: unknown, ...args: unknown[]) {
    names.push(typeof args[0] === 'object' && args[0] !== null ? ((args[0] as { name?: string }).name ?? null) : null);
    statements.push(String(typeof args[0] === 'string' ? args[0] : (args[0] as { text: string }).text).replace(/\s+/g, ' ').trim());
    return original.apply(this, args);
  };
  return { statements, names, stop: () => (pool.query = original) };
}
