import { expect } from 'vitest';
import type { ApiClient } from './http.js';

export interface Ledger {
  stock: { sku: string; available: number }[];
  reservations: { orderId: string; sku: string; qty: number; status: 'HELD' | 'RELEASED' | 'CONSUMED' }[];
  payments: { orderId: string; amount: number; status: 'CHARGED' | 'REFUNDED' }[];
  shipments: { orderId: string; status: 'CREATED' | 'CANCELLED' }[];
}

export async function ledger(api: ApiClient, orderId?: string): Promise<Ledger> {
  const res = await api.get<Ledger>(`/api/demo/ledger${orderId ? `?orderId=${encodeURIComponent(orderId)}` : ''}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** Every unit seeded is available, held or consumed: nothing is lost or made up. */
export function expectBalanced(l: Ledger, seeded = 10_000): void {
  for (const { sku, available } of l.stock) {
    const out = l.reservations.filter((r) => r.sku === sku && r.status !== 'RELEASED').reduce((n, r) => n + r.qty, 0);
    expect(available + out, `stock of ${sku}`).toBe(seeded);
  }
}
