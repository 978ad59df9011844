/**
 * The Redis store is a separate entry point: the main entry of the built package never reaches the
 * Redis client, so apps on PostgreSQL load nothing of it (and need not install it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');

/** Every module specifier a built file imports (static, re-exports and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

/** The packages reached from `entry` through its relative imports. */
function packagesReached(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) walk(resolve(dirname(file), spec));
      else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  };
  walk(entry);
  return packages;
}

describe('package entry points (built by the test setup)', () => {
  it('the main and testing entries never import the Redis client; the redis entry does', () => {
    expect(existsSync(resolve(dist, 'redis/index.js'))).toBe(true);
    expect([...packagesReached(resolve(dist, 'index.js'))]).not.toContain('redis');
    expect([...packagesReached(resolve(dist, 'testing/index.js'))]).not.toContain('redis');
    expect([...packagesReached(resolve(dist, 'redis/index.js'))]).toContain('redis');
  });
});
