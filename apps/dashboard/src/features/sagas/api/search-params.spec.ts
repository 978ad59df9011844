import { describe, expect, it } from 'vitest';
import { parseSagaListSearch, sagaListHref, toSagaListSearch } from './search-params';

describe('list search params', () => {
  it('round-trips every filter through the query string', () => {
    const query = { status: ['RUNNING', 'FAILED'] as const, name: 'order', stuck: true, q: 'key-1', limit: 100, cursor: 'abc' };
    const params = toSagaListSearch({ ...query, status: [...query.status] });
    expect(params.toString()).toBe('status=RUNNING&status=FAILED&name=order&stuck=true&q=key-1&limit=100&cursor=abc');
    expect(parseSagaListSearch(params)).toEqual({ ...query, status: ['RUNNING', 'FAILED'] });
  });

  it('drops unknown statuses and odd page sizes instead of sending them', () => {
    const parsed = parseSagaListSearch(new URLSearchParams('status=failed&status=BOGUS&status=PAUSED,RUNNING&limit=7&stuck=yes'));
    expect(parsed.status).toEqual(['RUNNING', 'PAUSED', 'FAILED']);
    expect(parsed.limit).toBe(50);
    expect(parsed.stuck).toBe(false);
  });

  it('makes links into filtered lists', () => {
    expect(sagaListHref({ status: ['FAILED'], name: 'order' })).toBe('/sagas?status=FAILED&name=order');
    expect(sagaListHref()).toBe('/sagas');
  });
});
