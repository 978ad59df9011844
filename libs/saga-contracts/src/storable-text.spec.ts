import { describe, expect, it } from 'vitest';
import { findUnstorableText, MAX_JSON_DEPTH, replaceUnstorableText } from './index.js';

describe('findUnstorableText', () => {
  it('accepts ordinary JSON, including characters outside the BMP written as surrogate pairs', () => {
    expect(findUnstorableText({ name: 'Zoë 😀', items: [{ sku: 'A', qty: 1 }], ok: true, none: null }, 'input')).toBeNull();
    expect(findUnstorableText('plain', 'reason')).toBeNull();
    expect(findUnstorableText(42, 'input')).toBeNull();
  });

  it('names the path of a NUL character, in a value or in a key', () => {
    expect(findUnstorableText({ items: [{ sku: 'A' }, { sku: 'B\u0000' }] }, 'input')).toMatchObject({
      path: 'input.items[1].sku',
      reason: 'NUL_CHARACTER',
      message: expect.stringContaining('input.items[1].sku contains the character U+0000'),
    });
    const key = findUnstorableText({ ok: 1, 'bad\u0000key': 2 }, 'input')!;
    expect(key).toMatchObject({ path: 'input["bad\\u0000key"]', reason: 'NUL_CHARACTER' });
    expect(key.message).toMatch(/^The key input\["bad\\u0000key"\]/);
    // The path and message are themselves storable text.
    expect(findUnstorableText(key.message, 'message')).toBeNull();
  });

  it('finds unpaired surrogates, high or low, and lets pairs through', () => {
    expect(findUnstorableText({ a: 'x\ud800' }, 'output')).toMatchObject({ path: 'output.a', reason: 'LONE_SURROGATE' });
    expect(findUnstorableText({ a: '\udc00x' }, 'output')).toMatchObject({ path: 'output.a', reason: 'LONE_SURROGATE' });
    expect(findUnstorableText(['\ud83d\ude00', '\ud83d'], 'output')).toMatchObject({ path: 'output[1]', reason: 'LONE_SURROGATE' });
    expect(findUnstorableText('\ud83d\ude00\ud83d\ude00', 'reason')).toBeNull();
  });

  it('reports the first problem in document order', () => {
    expect(findUnstorableText({ a: { deep: 'x\u0000' }, b: '\ud800' }, 'input')?.path).toBe('input.a.deep');
    expect(findUnstorableText({ a: 'fine', ['b\u0000']: '\ud800' }, 'input')?.path).toBe('input["b\\u0000"]');
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels, and takes another limit`, () => {
    const nest = (levels: number) => {
      let v: unknown = 'leaf';
      for (let i = 0; i < levels; i++) v = { v };
      return v;
    };
    expect(findUnstorableText(nest(MAX_JSON_DEPTH), 'input')).toBeNull();
    expect(findUnstorableText(nest(MAX_JSON_DEPTH + 1), 'input')).toMatchObject({ reason: 'TOO_DEEP', message: expect.stringContaining('deeper than 64') });
    expect(findUnstorableText(nest(3), 'input', { maxDepth: 2 })).toMatchObject({ path: 'input.v.v', reason: 'TOO_DEEP' });
    // No stack overflow, however deep.
    expect(findUnstorableText(nest(100_000), 'output', { maxDepth: Infinity })).toBeNull();
  });

  it('stops at circular references instead of looping', () => {
    const a: Record<string, unknown> = { name: 'loop' };
    a.self = a;
    expect(findUnstorableText(a, 'input', { maxDepth: Infinity })).toBeNull();
  });

  it('replaces what cannot be stored in free text, and leaves good text alone', () => {
    expect(replaceUnstorableText('a\u0000b\ud800c\udc00 😀')).toBe('a\ufffdb\ufffdc\ufffd 😀');
    const good = 'plain text';
    expect(replaceUnstorableText(good)).toBe(good);
  });
});
