/**
 * The sets of saga statuses the stores select on, taken from the contracts (`isTerminal`), and
 * written out once as the SQL lists and Lua tables the stores put in their statements and scripts.
 * The partial indexes of the migrations spell the same sets literally (migrations are frozen
 * history); `libs/saga/test/status-sets.spec.ts` checks that they agree.
 */
import { SAGA_STATUSES, isTerminal, type SagaStatus } from '@nest-saga/contracts';

/** Finished: the saga is over and never runs again by itself (COMPLETED, COMPENSATED, CANCELLED). */
export const FINISHED_SAGA_STATUSES: readonly SagaStatus[] = SAGA_STATUSES.filter(isTerminal);

/**
 * Active: not finished and not `FAILED` (which waits for an operator, owned by no one). An instance
 * may hold these (paused ones too), and the stuck detector watches them.
 */
export const ACTIVE_SAGA_STATUSES: readonly SagaStatus[] = SAGA_STATUSES.filter((status) => !isTerminal(status) && status !== 'FAILED');

/** `'A', 'B'`: the inside of an SQL `IN (...)` list. */
const sqlList = (statuses: readonly SagaStatus[]): string => statuses.map((status) => `'${status}'`).join(', ');

/** For `status NOT IN (...)` / `status IN (...)`: the predicate of `ix_saga_instances_unfinished`. */
export const FINISHED_STATUSES_SQL = sqlList(FINISHED_SAGA_STATUSES);
/** For `status IN (...)`: the predicate of `ix_saga_instances_active`. */
export const ACTIVE_STATUSES_SQL = sqlList(ACTIVE_SAGA_STATUSES);

/** `{ A = true, B = true }`: a Lua set. */
export const luaSet = (statuses: readonly SagaStatus[]): string => `{ ${statuses.map((status) => `${status} = true`).join(', ')} }`;
