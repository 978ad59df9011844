import { describe, expect, it } from 'vitest';
import { findUnstorableValue, MAX_JSON_DEPTH } from './storable.js';

describe('findUnstorableValue', () => {
  it('accepts ordinary JSON, emoji (surrogate pairs) included', () => {
    expect(findUnstorableValue({ a: [1, 'two', { b: null, c: 'ok 👍 é' }], d: true })).toBeUndefined();
  });

  it('names the path of a NUL character or a lone surrogate, keys included', () => {
    expect(findUnstorableValue({ items: [{ sku: 'x\u0000' }] }, 'input')).toEqual({ path: 'input.items[0].sku', problem: expect.stringContaining('U+0000') });
    expect(findUnstorableValue({ note: 'a\ud800b' }, 'input')?.path).toBe('input.note');
    expect(findUnstorableValue({ note: '\udc00' }, 'input')?.problem).toContain('surrogate');
    expect(findUnstorableValue('k\u0000', 'idempotencyKey')?.path).toBe('idempotencyKey');
    expect(findUnstorableValue({ ['bad\u0000key']: 1 }, 'input')?.problem).toContain('key');
  });

  it('refuses nesting deeper than the limit without overflowing the stack', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 5_000; i++) deep = { d: deep };
    expect(findUnstorableValue(deep, 'input')?.problem).toContain(`deeper than ${MAX_JSON_DEPTH}`);
    let ok: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) ok = [ok];
    expect(findUnstorableValue(ok)).toBeUndefined();
  });
});
