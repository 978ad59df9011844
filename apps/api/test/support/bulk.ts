import type { BulkActionView } from '@nest-saga/contracts';
import type { ApiClient } from './http.js';

/** Polls a bulk action until `predicate` holds (generous bound: no timing assertions). */
export async function waitForBulk(api: ApiClient, id: string, predicate: (v: BulkActionView) => boolean, what: string, timeoutMs = 60_000): Promise<BulkActionView> {
  const until = Date.now() + timeoutMs;
  let last: BulkActionView | undefined;
  while (Date.now() < until) {
    const res = await api.get<BulkActionView>(`/api/bulk-actions/${id}`);
    if (res.status !== 200) throw new Error(`GET bulk action ${id}: ${res.status} ${res.text}`);
    last = res.body;
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Bulk action ${id} did not reach ${what} within ${timeoutMs} ms; it is ${JSON.stringify(last)}`);
}
