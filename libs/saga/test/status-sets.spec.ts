/**
 * The status sets the stores select on come from the contracts; the partial indexes of the
 * migrations (frozen history, spelled literally) and the entities that mirror them must name the
 * same sets, or the planner would stop using those indexes for the stores' queries.
 */
import { getMetadataArgsStorage, type QueryRunner } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { SAGA_STATUSES, TERMINAL_SAGA_STATUSES, isSettled, isTerminal } from '@nest-saga/contracts';
import { sagaEntities, sagaMigrations } from '../src/index.js';
import { ACTIVE_SAGA_STATUSES, ACTIVE_STATUSES_SQL, FINISHED_SAGA_STATUSES, FINISHED_STATUSES_SQL } from '../src/lib/persistence/saga-status-sets.js';

/** Every statement the shipped migrations run, in order. */
async function migrationSql(): Promise<string[]> {
  const statements: string[] = [];
  const runner = { query: async (sql: string) => void statements.push(sql.replace(/\s+/g, ' ').trim()) } as unknown as QueryRunner;
  for (const Migration of sagaMigrations) await new Migration().up(runner);
  return statements;
}

/** The statuses of a `status [NOT] IN ('A', 'B')` predicate, sorted. */
function statusesOf(predicate: string, negated: boolean): string[] {
  const match = new RegExp(`status ${negated ? 'NOT IN' : 'IN'} \\(([^)]*)\\)`).exec(predicate);
  if (!match) throw new Error(`No status ${negated ? 'NOT IN' : 'IN'} list in: ${predicate}`);
  return match[1].split(',').map((s) => s.trim().replace(/^'|'$/g, '')).sort();
}

const sorted = (statuses: readonly string[]) => [...statuses].sort();

describe('status sets', () => {
  it('are the contracts\' sets: finished is terminal; active is neither finished nor FAILED; with FAILED they cover every status once', () => {
    expect(sorted(FINISHED_SAGA_STATUSES)).toEqual(sorted(TERMINAL_SAGA_STATUSES));
    expect(FINISHED_SAGA_STATUSES.every(isTerminal)).toBe(true);
    expect(ACTIVE_SAGA_STATUSES.some(isTerminal)).toBe(false);
    // What is active and settled is only PAUSED: held by an operator, resumed where it stopped.
    expect(ACTIVE_SAGA_STATUSES.filter(isSettled)).toEqual(['PAUSED']);
    expect(sorted([...FINISHED_SAGA_STATUSES, ...ACTIVE_SAGA_STATUSES, 'FAILED'])).toEqual(sorted(SAGA_STATUSES));
    expect(FINISHED_STATUSES_SQL).toBe(FINISHED_SAGA_STATUSES.map((s) => `'${s}'`).join(', '));
    expect(sorted(statusesOf(`status IN (${ACTIVE_STATUSES_SQL})`, false))).toEqual(sorted(ACTIVE_SAGA_STATUSES));
  });

  it('match the partial indexes the migrations create', async () => {
    const sql = await migrationSql();
    const unfinished = sql.filter((s) => s.startsWith('CREATE INDEX ix_saga_instances_unfinished '));
    const active = sql.filter((s) => s.startsWith('CREATE INDEX ix_saga_instances_active '));
    expect(unfinished).toHaveLength(1);
    expect(active).toHaveLength(1);
    expect(statusesOf(unfinished[0], true)).toEqual(sorted(FINISHED_SAGA_STATUSES));
    expect(statusesOf(active[0], false)).toEqual(sorted(ACTIVE_SAGA_STATUSES));
  });

  it('match the same indexes as the entities declare them', () => {
    const indices = getMetadataArgsStorage().indices.filter((index) => sagaEntities.includes(index.target as (typeof sagaEntities)[number]));
    const where = (name: string) => indices.find((index) => index.name === name)?.where ?? '';
    expect(statusesOf(where('ix_saga_instances_unfinished'), true)).toEqual(sorted(FINISHED_SAGA_STATUSES));
    expect(statusesOf(where('ix_saga_instances_active'), false)).toEqual(sorted(ACTIVE_SAGA_STATUSES));
  });
});
