import { describe, expect, it } from 'vitest';
import { formatDuration, formatRelative, humanize, prettyJson } from './format';

describe('format', () => {
  it('prints durations at a useful precision', () => {
    expect(formatDuration(45)).toBe('45 ms');
    expect(formatDuration(1_500)).toBe('1.5 s');
    expect(formatDuration(2_000)).toBe('2 s');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(192_000)).toBe('3m 12s');
    expect(formatDuration(3_600_000 * 2 + 60_000 * 5)).toBe('2h 5m');
    expect(formatDuration(-1)).toBe('–');
  });

  it('prints times relative to now', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    expect(formatRelative('2026-01-01T00:00:00Z', now)).toBe('1m ago');
    expect(formatRelative('2026-01-01T00:01:05Z', now)).toBe('in 5 s');
    expect(formatRelative(null, now)).toBe('–');
  });

  it('humanizes constants and never throws on odd JSON', () => {
    expect(humanize('COMPENSATION_FAILED')).toBe('Compensation failed');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => prettyJson(cyclic)).not.toThrow();
    expect(prettyJson({ a: 1n })).toContain('"1"');
  });
});
