/** A small fetch-based client for the api's tests, and a poller that waits for a state. */
import type { SagaDetail, SagaStatus } from '@nest-saga/contracts';
import type { TestApp } from './test-app.js';

export interface Reply<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export type Who = 'operator' | 'viewer' | 'none' | string;

export class ApiClient {
  constructor(private readonly app: TestApp) {}

  private token(who: Who): string | undefined {
    if (who === 'operator') return this.app.operatorToken;
    if (who === 'viewer') return this.app.viewerToken;
    if (who === 'none') return undefined;
    return who;
  }

  async request<T = any>(method: string, path: string, options: { as?: Who; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = this.token(options.as ?? 'operator');
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
      headers['content-type'] ??= 'application/json';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.app.baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) parsed = text ? JSON.parse(text) : undefined;
    return { status: res.status, body: parsed as T, text, headers: res.headers };
  }

  get<T = any>(path: string, as: Who = 'viewer'): Promise<Reply<T>> {
    return this.request<T>('GET', path, { as });
  }

  post<T = any>(path: string, body?: unknown, as: Who = 'operator'): Promise<Reply<T>> {
    return this.request<T>('POST', path, { as, body });
  }

  async startOrder(input: Record<string, unknown>, idempotencyKey?: string): Promise<string> {
    const res = await this.post('/api/sagas', { name: 'order', input, ...(idempotencyKey ? { idempotencyKey } : {}) });
    if (res.status !== 201) throw new Error(`start failed: ${res.status} ${res.text}`);
    return res.body.id as string;
  }

  async detail(id: string): Promise<SagaDetail> {
    const res = await this.get<SagaDetail>(`/api/sagas/${id}`);
    if (res.status !== 200) throw new Error(`GET saga ${id}: ${res.status} ${res.text}`);
    return res.body;
  }

  /** Polls the saga until `predicate` holds (generous bound: no timing assertions in these tests). */
  async waitFor(id: string, predicate: (d: SagaDetail) => boolean, what = 'condition', timeoutMs = 30_000): Promise<SagaDetail> {
    const until = Date.now() + timeoutMs;
    let last: SagaDetail | undefined;
    while (Date.now() < until) {
      last = await this.detail(id);
      if (predicate(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`Saga ${id} did not reach ${what} within ${timeoutMs} ms; it is ${last?.status}: ${JSON.stringify(last?.steps.map((s) => [s.name, s.status, s.attempts, s.compensation.status]))}`);
  }

  waitForStatus(id: string, status: SagaStatus, timeoutMs?: number): Promise<SagaDetail> {
    return this.waitFor(id, (d) => d.status === status, status, timeoutMs);
  }
}

let seq = 0;
/** A fresh demo order input; ids are unique across test files sharing nothing but the server. */
export function orderInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq += 1;
  return {
    orderId: `o-${process.pid}-${Date.now().toString(36)}-${seq}`,
    customerId: 'c-1',
    items: [{ sku: 'ITEM1', qty: 2 }, { sku: 'ITEM2', qty: 1 }],
    totalAmount: 42.5,
    ...overrides,
  };
}
