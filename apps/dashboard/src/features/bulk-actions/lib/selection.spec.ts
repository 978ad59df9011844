import { describe, expect, it } from 'vitest';
import { makeSummary } from '../../../testing/fixtures';
import { EMPTY_FILTERS } from '../../sagas/api/search-params';
import { describeFilters, offeredActions, toBulkFilter } from './selection';

describe('bulk selection', () => {
  it('sends the ticked ids, or only the filters that are set', () => {
    const a = makeSummary();
    const b = makeSummary();
    expect(toBulkFilter({ kind: 'ids', sagas: [a, b] })).toEqual({ ids: [a.id, b.id] });
    expect(toBulkFilter({ kind: 'filter', filters: { status: ['FAILED', 'PAUSED'], name: 'order', stuck: true, q: 'A-1' } })).toEqual({
      status: ['FAILED', 'PAUSED'],
      name: 'order',
      stuck: true,
      q: 'A-1',
    });
    expect(toBulkFilter({ kind: 'filter', filters: EMPTY_FILTERS })).toEqual({});
  });

  it('tells the filters in words, and says when there are none', () => {
    expect(describeFilters({ status: ['FAILED'], name: 'order', stuck: true, q: 'A-1' })).toBe('status FAILED · saga order · stuck · search "A-1"');
    expect(describeFilters(EMPTY_FILTERS)).toBeNull();
  });

  it('offers, for ticked rows, the actions at least one of them allows', () => {
    const running = makeSummary({ status: 'RUNNING' });
    const completed = makeSummary({ status: 'COMPLETED' });
    const paused = makeSummary({ status: 'PAUSED' });
    expect(offeredActions({ kind: 'ids', sagas: [running] })).toEqual(['cancel', 'compensate', 'pause']);
    expect(offeredActions({ kind: 'ids', sagas: [completed] })).toEqual(['compensate']);
    expect(offeredActions({ kind: 'ids', sagas: [completed, paused] })).toEqual(['cancel', 'compensate', 'retry', 'resume']);
    expect(offeredActions({ kind: 'filter', filters: EMPTY_FILTERS })).toEqual(['cancel', 'compensate', 'retry', 'pause', 'resume']);
  });
});
