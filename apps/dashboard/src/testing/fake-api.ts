/**
 * A small in-memory fake of the admin API, mounted at the network boundary (global fetch). It keeps
 * the real API's shapes: bearer auth, `{ statusCode, code, message }` errors, keyset paging,
 * transition guards. Tests add `on(...)` handlers to answer one route differently.
 */
import {
  canPerform,
  canResolveStep,
  findPlanProblems,
  SAGA_ACTIONS,
  SAGA_STATUSES,
  type AdminRole,
  type ApiErrorBody,
  type BulkActionFilter,
  type BulkActionPreview,
  type BulkActionView,
  type BulkCompensationPreview,
  type SagaAction,
  type PlanStepRequest,
  type SagaDefinitionCensus,
  type SagaDefinitionView,
  type SagaDetail,
  type SagaStats,
  type SagaSummary,
  type StepDefinitionView,
  type StepPauseView,
} from '@nest-saga/contracts';
import { vi } from 'vitest';
import { makeCatalog, makeDefinition } from './fixtures';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  authorization: string | null;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
}

type Handler = (request: RecordedRequest, params: Record<string, string>) => FakeResponse | Promise<FakeResponse>;

export interface FakeApiOptions {
  /** Tokens the fake accepts and their roles. */
  tokens?: Record<string, AdminRole>;
  sagas?: SagaDetail[];
  /** Without `versions`, each gets its own version with nothing running. */
  definitions?: (SagaDefinitionView | SagaDefinitionCensus)[];
  /** The step catalog (GET /api/saga-steps); the demo's four steps by default. */
  steps?: StepDefinitionView[];
  stats?: SagaStats;
  /** Steps paused by the circuit breaker (GET /api/steps/paused). */
  pausedSteps?: StepPauseView[];
}

export const TEST_TOKEN = 'operator-token';
export const VIEWER_TOKEN = 'viewer-token';

function error(statusCode: number, code: string, message: string, field?: string): FakeResponse {
  const body: ApiErrorBody = { statusCode, code, message, ...(field ? { field } : {}) };
  return { status: statusCode, body };
}

function summaryOf(detail: SagaDetail): SagaSummary {
  const { input: _i, steps: _s, events: _e, lease: _l, nextRunAt: _n, compensationCause: _c, pendingRequest: _p, ...summary } = detail;
  return summary;
}

function computeStats(sagas: SagaDetail[]): SagaStats {
  const byStatus = Object.fromEntries(SAGA_STATUSES.map((s) => [s, 0])) as SagaStats['byStatus'];
  const byName: SagaStats['byName'] = {};
  for (const saga of sagas) {
    byStatus[saga.status] += 1;
    const counts = (byName[saga.name] ??= {});
    counts[saga.status] = (counts[saga.status] ?? 0) + 1;
  }
  return { total: sagas.length, byStatus, byName, stuck: sagas.filter((s) => s.stuckSince).length };
}

const ACTION_TARGET: Record<SagaAction, (saga: SagaDetail) => SagaDetail['status']> = {
  cancel: () => 'COMPENSATING',
  compensate: () => 'COMPENSATING',
  retry: (saga) => (saga.status === 'FAILED' ? 'COMPENSATING' : 'RUNNING'),
  pause: () => 'PAUSED',
  resume: () => 'RUNNING',
};

export function createFakeApi(options: FakeApiOptions = {}) {
  const tokens = options.tokens ?? { [TEST_TOKEN]: 'operator', [VIEWER_TOKEN]: 'viewer' };
  const state = {
    sagas: [...(options.sagas ?? [])],
    definitions: (options.definitions ?? [makeDefinition()]).map((d): SagaDefinitionCensus => ({ versions: [{ version: d.version, running: 0 }], ...d })),
    steps: options.steps ?? makeCatalog(),
    stats: options.stats,
    bulkActions: [] as BulkActionView[],
    pausedSteps: [...(options.pausedSteps ?? [])],
  };
  const requests: RecordedRequest[] = [];
  const overrides: { method: string; pattern: RegExp; keys: string[]; handler: Handler }[] = [];

  const compile = (path: string) => {
    const keys: string[] = [];
    const source = path.replace(/:([a-zA-Z]+)/g, (_m, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    return { pattern: new RegExp(`^${source}$`), keys };
  };

  const routes: { method: string; pattern: RegExp; keys: string[]; handler: Handler }[] = [];
  const route = (method: string, path: string, handler: Handler) => routes.push({ method, ...compile(path), handler });

  const roleOf = (request: RecordedRequest): AdminRole | null => {
    const token = request.authorization?.replace(/^Bearer /, '') ?? '';
    return tokens[token] ?? null;
  };
  const find = (id: string) => state.sagas.find((s) => s.id === id);

  route('GET', '/api/whoami', (request) => ({ status: 200, body: { role: roleOf(request) } }));
  route('GET', '/api/stats', () => ({ status: 200, body: state.stats ?? computeStats(state.sagas) }));
  route('GET', '/api/saga-definitions', () => ({ status: 200, body: state.definitions }));
  route('GET', '/api/saga-steps', () => ({ status: 200, body: state.steps }));
  route('GET', '/api/steps/paused', () => ({ status: 200, body: state.pausedSteps }));
  route('POST', '/api/steps/:step/:action', (request, { step, action }) => {
    if (roleOf(request) !== 'operator') return error(403, 'FORBIDDEN', 'Operator role required');
    if (!state.steps.some((s) => s.name === step)) return error(404, 'STEP_NOT_REGISTERED', `No step "${step}" is registered`, 'step');
    const body = (request.body ?? {}) as { reason?: unknown; ratePerSec?: unknown };
    if (typeof body.reason !== 'string' || !body.reason.trim()) return error(400, 'VALIDATION_FAILED', 'reason is required', 'reason');
    const current = state.pausedSteps.find((p) => p.step === step);
    let next: StepPauseView;
    if (action === 'pause') {
      if (current?.status === 'PAUSED') return { status: 202, body: current };
      next = { step: step!, status: 'PAUSED', reason: body.reason, pausedBy: 'operator', pausedAt: new Date().toISOString(), resumedBy: null, resumedAt: null, resumeReason: null, ratePerSec: null, released: 0, waiting: current?.waiting ?? 0 };
    } else if (action === 'resume') {
      if (current?.status !== 'PAUSED') return error(409, 'STEP_NOT_PAUSED', `Step "${step}" is not paused.`);
      next = { ...current, status: 'RESUMING', resumedBy: 'operator', resumedAt: new Date().toISOString(), resumeReason: body.reason, ratePerSec: typeof body.ratePerSec === 'number' ? body.ratePerSec : null };
    } else return error(404, 'NOT_FOUND', 'No such action');
    state.pausedSteps = [...state.pausedSteps.filter((p) => p.step !== step), next];
    return { status: 202, body: next };
  });
  route('GET', '/api/sagas', ({ query }) => {
    const statuses = query.getAll('status');
    const name = query.get('name');
    const q = query.get('q');
    const limit = Number(query.get('limit') ?? 50);
    const cursor = query.get('cursor');
    let items = state.sagas.filter(
      (s) =>
        (statuses.length === 0 || statuses.includes(s.status)) &&
        (!name || s.name === name) &&
        (query.get('stuck') !== 'true' || s.stuckSince) &&
        (!q || s.id === q || s.idempotencyKey === q),
    );
    if (cursor) {
      const index = items.findIndex((s) => s.id === cursor);
      items = index === -1 ? [] : items.slice(index + 1);
    }
    const page = items.slice(0, limit);
    return { status: 200, body: { items: page.map(summaryOf), nextCursor: items.length > limit ? page.at(-1)!.id : null } };
  });
  route('GET', '/api/sagas/:id', (_r, { id }) => {
    const saga = find(id!);
    return saga ? { status: 200, body: saga } : error(404, 'SAGA_NOT_FOUND', `Saga "${id}" was not found`);
  });
  route('POST', '/api/sagas/:id/:action', (request, { id, action }) => {
    if (roleOf(request) !== 'operator') return error(403, 'FORBIDDEN', 'Operator role required');
    const saga = find(id!);
    if (!saga) return error(404, 'SAGA_NOT_FOUND', `Saga "${id}" was not found`);
    if (!(SAGA_ACTIONS as readonly string[]).includes(action!)) return error(404, 'NOT_FOUND', 'No such action');
    const act = action as SagaAction;
    if (!canPerform(act, saga.status)) {
      return error(409, 'INVALID_SAGA_TRANSITION', `Cannot ${act} saga "${saga.id}" in status ${saga.status}`);
    }
    const next: SagaDetail = { ...saga, status: ACTION_TARGET[act](saga) };
    state.sagas = state.sagas.map((s) => (s.id === saga.id ? next : s));
    return { status: 202, body: next };
  });
  route('POST', '/api/sagas/:id/steps/:step/resolve', (request, { id, step }) => {
    if (roleOf(request) !== 'operator') return error(403, 'FORBIDDEN', 'Operator role required');
    const saga = find(id!);
    if (!saga) return error(404, 'SAGA_NOT_FOUND', `Saga "${id}" was not found`);
    const reason = (request.body as { reason?: unknown } | null)?.reason;
    if (typeof reason !== 'string' || !reason.trim()) return error(400, 'VALIDATION_FAILED', 'reason is required', 'reason');
    const target = saga.steps.find((s) => s.name === step);
    if (!target) return error(404, 'SAGA_STEP_NOT_FOUND', `No step "${step}"`);
    if (!canResolveStep(saga.status, target.status)) return error(409, 'INVALID_SAGA_TRANSITION', `Cannot resolve step "${step}"`);
    const next: SagaDetail = {
      ...saga,
      status: 'COMPENSATED',
      steps: saga.steps.map((s) => (s.name === step ? { ...s, status: 'COMPENSATED', compensation: { ...s.compensation, status: 'RESOLVED' } } : s)),
    };
    state.sagas = state.sagas.map((s) => (s.id === saga.id ? next : s));
    return { status: 202, body: next };
  });
  route('POST', '/api/sagas', (request) => {
    if (roleOf(request) !== 'operator') return error(403, 'FORBIDDEN', 'Operator role required');
    const body = request.body as { name?: string; input?: unknown; idempotencyKey?: string; steps?: PlanStepRequest[] };
    let name: string;
    let firstStep: string | null;
    if (body.steps) {
      // The server's own rules and answers for a composition.
      const [problem] = findPlanProblems({ name: body.name, steps: body.steps }, state.steps, { definitions: state.definitions.map((d) => d.name) });
      if (problem) return error(problem.code === 'PLAN_STEP_NOT_REGISTERED' ? 404 : 400, problem.code, problem.message, problem.field);
      name = body.name!.trim();
      firstStep = body.steps[0]!.step;
    } else {
      const definition = state.definitions.find((d) => d.name === body.name);
      if (!definition) return error(404, 'SAGA_DEFINITION_NOT_FOUND', `No saga named "${body.name}"`);
      name = definition.name;
      firstStep = definition.steps[0]?.name ?? null;
    }
    const now = new Date().toISOString();
    const summary: SagaSummary = {
      id: `started-${state.sagas.length + 1}`,
      name,
      status: 'PENDING',
      idempotencyKey: body.idempotencyKey ?? null,
      currentStep: firstStep,
      currentStepIndex: 0,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      deadlineAt: null,
      stuckSince: null,
      stuckReason: null,
      error: null,
    };
    return { status: 201, body: summary };
  });

  // Bulk actions: the same selection rules as the API; a started action acts on every saga at once
  // and is DONE by its first read (tests that need one RUNNING answer GET themselves with `on`).
  const matching = (filter: BulkActionFilter) =>
    state.sagas.filter(
      (s) =>
        (!filter.status?.length || filter.status.includes(s.status)) &&
        (!filter.name || s.name === filter.name) &&
        (!filter.stuck || s.stuckSince) &&
        (!filter.q || s.id === filter.q || (s.idempotencyKey ?? '').startsWith(filter.q)) &&
        (!filter.ids || filter.ids.includes(s.id)),
    );
  route('POST', '/api/bulk-actions', (request) => {
    if (roleOf(request) !== 'operator') return error(403, 'FORBIDDEN', 'Operator role required');
    const body = (request.body ?? {}) as { action?: string; filter?: BulkActionFilter; reason?: unknown; dryRun?: boolean };
    if (!(SAGA_ACTIONS as readonly string[]).includes(body.action ?? '')) return error(400, 'VALIDATION_FAILED', 'action must be one of ' + SAGA_ACTIONS.join(', '), 'action');
    if (!body.filter || typeof body.filter !== 'object') return error(400, 'VALIDATION_FAILED', 'filter is required ({} for every saga)', 'filter');
    if (typeof body.reason !== 'string' || !body.reason.trim()) return error(400, 'VALIDATION_FAILED', 'reason is required: it is recorded in the history of every saga', 'reason');
    const action = body.action as SagaAction;
    const all = matching(body.filter);
    const taken = all.filter((s) => canPerform(action, s.status));
    const left = all.filter((s) => !canPerform(action, s.status));
    const count = (list: SagaDetail[]) => {
      const out: Partial<Record<SagaDetail['status'], number>> = {};
      for (const s of list) out[s.status] = (out[s.status] ?? 0) + 1;
      return out;
    };
    if (body.dryRun) {
      const undoing = action === 'cancel' || action === 'compensate' ? taken : action === 'retry' ? taken.filter((s) => s.status === 'FAILED') : [];
      const compensations: BulkCompensationPreview[] = [...new Set(undoing.map((s) => s.name))].sort().map((name) => {
        const mine = undoing.filter((s) => s.name === name);
        const steps = new Map<string, { sagas: number; has: boolean }>();
        for (const saga of mine) {
          for (const step of [...saga.steps].reverse()) {
            if (!['COMPLETED', 'RUNNING', 'COMPENSATION_FAILED'].includes(step.status)) continue;
            const entry = steps.get(step.name) ?? { sagas: 0, has: step.hasCompensation };
            entry.sagas += 1;
            steps.set(step.name, entry);
          }
        }
        const list = [...steps.entries()].map(([step, v]) => ({ step, sagas: v.sagas, has: v.has }));
        return {
          name,
          sagas: mine.length,
          steps: list.filter((x) => x.has).map(({ step, sagas }) => ({ step, sagas })),
          noCompensation: list.filter((x) => !x.has).map(({ step, sagas }) => ({ step, sagas })),
        };
      });
      const preview: BulkActionPreview = {
        action,
        matched: taken.length,
        byStatus: count(taken),
        skipped: left.length,
        skippedByStatus: count(left),
        sample: taken.slice(0, 20).map(summaryOf),
        compensations,
      };
      return { status: 200, body: preview };
    }
    const id = `00000000-0000-4000-9000-${String(state.bulkActions.length + 1).padStart(12, '0')}`;
    const now = new Date().toISOString();
    for (const saga of taken) {
      const next: SagaDetail = { ...saga, status: ACTION_TARGET[action](saga) };
      state.sagas = state.sagas.map((s) => (s.id === saga.id ? next : s));
    }
    state.bulkActions.push({
      id,
      action,
      status: 'DONE',
      total: taken.length,
      done: taken.length,
      succeeded: taken.length,
      failed: 0,
      failures: [],
      filter: body.filter,
      reason: body.reason.trim(),
      actor: 'operator',
      ratePerSec: 50,
      ownerId: null,
      createdAt: now,
      updatedAt: now,
      finishedAt: now,
    });
    return { status: 202, body: { id } };
  });
  route('GET', '/api/bulk-actions', ({ query }) => ({
    status: 200,
    body: [...state.bulkActions].reverse().slice(0, Number(query.get('limit') ?? 20)).map((b) => ({ ...b, failures: [] })),
  }));
  route('GET', '/api/bulk-actions/:id', (_r, { id }) => {
    const view = state.bulkActions.find((b) => b.id === id);
    return view ? { status: 200, body: view } : error(404, 'BULK_ACTION_NOT_FOUND', `Bulk action "${id}" was not found`);
  });
  route('POST', '/api/bulk-actions/:id/cancel', (request, { id }) => {
    if (roleOf(request) !== 'operator') return error(403, 'FORBIDDEN', 'Operator role required');
    const view = state.bulkActions.find((b) => b.id === id);
    if (!view) return error(404, 'BULK_ACTION_NOT_FOUND', `Bulk action "${id}" was not found`);
    if (view.status !== 'RUNNING') return error(409, 'BULK_ACTION_NOT_RUNNING', `Bulk action "${id}" is ${view.status}`);
    const next: BulkActionView = { ...view, status: 'CANCELLED', ownerId: null, finishedAt: new Date().toISOString() };
    state.bulkActions = state.bulkActions.map((b) => (b.id === id ? next : b));
    return { status: 202, body: next };
  });

  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, 'http://dashboard.test');
    const method = (init.method ?? 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const request: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : null,
      authorization: headers.get('authorization'),
    };
    requests.push(request);
    const respond = ({ status, body }: FakeResponse) =>
      new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

    if (!roleOf(request)) return respond(error(401, 'UNAUTHORIZED', 'Missing or invalid bearer token'));
    for (const candidate of [...overrides, ...routes]) {
      if (candidate.method !== method) continue;
      const match = candidate.pattern.exec(url.pathname);
      if (!match) continue;
      const params = Object.fromEntries(candidate.keys.map((key, i) => [key, decodeURIComponent(match[i + 1]!)]));
      return respond(await candidate.handler(request, params));
    }
    return respond(error(404, 'NOT_FOUND', `No route ${method} ${url.pathname}`));
  });

  return {
    fetch,
    state,
    requests,
    /** Answers one route differently from the default fake (checked before the defaults). */
    on(method: 'GET' | 'POST', path: string, handler: Handler) {
      overrides.unshift({ method, ...compile(path), handler });
    },
    /** Requests to a path (exact pathname), optionally of one method. */
    requestsTo(path: string, method?: string) {
      return requests.filter((r) => r.path === path && (!method || r.method === method));
    },
    install() {
      vi.stubGlobal('fetch', fetch);
      return this;
    },
  };
}

export type FakeApi = ReturnType<typeof createFakeApi>;
export { error as apiError };
