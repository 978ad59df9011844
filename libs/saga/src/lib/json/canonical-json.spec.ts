import { describe, expect, it } from 'vitest';
import { canonicalJson, sameJson } from './canonical-json.js';

describe('sameJson', () => {
  it('ignores object key order at every level, not array order', () => {
    expect(sameJson({ a: 1, b: { c: [1, { x: 1, y: 2 }], d: null } }, { b: { d: null, c: [1, { y: 2, x: 1 }] }, a: 1 })).toBe(true);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson({ a: '1' }, { a: 1 })).toBe(false);
    expect(sameJson(null, null)).toBe(true);
  });

  it('writes keys that need escaping unambiguously', () => {
    expect(canonicalJson({ 'a"b': 1, a: 2 })).toBe('{"a":2,"a\\"b":1}');
  });
});
