import { describe, expect, it } from 'vitest';
import { AdminTokenRegistry, parseAdminTokens } from './admin-tokens.js';

describe('admin tokens', () => {
  it('finds the role of a token and nothing for others', () => {
    const registry = new AdminTokenRegistry(parseAdminTokens('viewer:viewer-token-1,operator:operator-token-1'));
    expect(registry.roleOf('viewer-token-1')).toBe('viewer');
    expect(registry.roleOf('operator-token-1')).toBe('operator');
    expect(registry.roleOf('operator-token-')).toBeUndefined();
    expect(registry.roleOf('')).toBeUndefined();
  });
});

describe('parseAdminTokens', () => {
  it('refuses malformed entries with a message that says what is expected', () => {
    expect(() => parseAdminTokens('admin:some-long-token')).toThrow(/viewer:<token>/);
    expect(() => parseAdminTokens('operator:short')).toThrow(/shorter than 8/);
    expect(() => parseAdminTokens('operator')).toThrow(/viewer:<token>/);
  });
});
