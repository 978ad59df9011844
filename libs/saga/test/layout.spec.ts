import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LIB = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'lib');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The top folder of lib/ a file is in; files directly in lib/ (the module's wiring) have none. */
function folderOf(path: string): string | null {
  const parts = relative(LIB, path).split(sep);
  return parts.length > 1 ? parts[0] : null;
}

/** Folder → folders it imports from (type-only imports count too). */
function folderImports(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const file of sources(LIB)) {
    const from = folderOf(file);
    if (!from) continue;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
      const target = normalize(join(dirname(file), match[1]));
      if (relative(LIB, target).startsWith('..')) continue;
      const to = folderOf(target);
      if (!to || to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string[]>();
      edges.set(to, [...(edges.get(to) ?? []), `${relative(LIB, file)} → ${match[1]}`]);
      graph.set(from, edges);
    }
  }
  return graph;
}

describe('the layout of the engine', () => {
  it('has no folder that imports one that imports it back', () => {
    const graph = folderImports();
    const cycles: string[] = [];
    for (const [a, edges] of graph) {
      for (const b of edges.keys()) {
        if (a < b && graph.get(b)?.has(a)) cycles.push(`${a} ⇄ ${b}: ${edges.get(b)![0]}; ${graph.get(b)!.get(a)![0]}`);
      }
    }
    expect(cycles).toEqual([]);
  });

  it('keeps the state machine pure: it imports no I/O (engine, persistence code, tracing, Nest, timers)', () => {
    const graph = folderImports();
    const machineImports = [...(graph.get('machine')?.keys() ?? [])].sort();
    // Types of the stored record only (persistence/saga.records), the errors, the retry arithmetic.
    expect(machineImports.filter((f) => !['errors', 'interfaces', 'persistence', 'retry'].includes(f))).toEqual([]);
    for (const file of sources(join(LIB, 'machine'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/from\s+'(\.[^']+)'/g)) {
        if (match[1].includes('persistence/')) expect(match[1]).toMatch(/saga\.records\.js$/);
      }
      expect(text).not.toMatch(/@nestjs\//);
      // Time only through the injected env (SYSTEM_ENV, the default, is the one line that reads the system clock).
      const body = text.replace(/^export const SYSTEM_ENV\b.*$/m, '');
      expect(body).not.toMatch(/\bsetTimeout\(|\bsetInterval\(|\bDate\.now\(\)|new Date\(\)|Math\.random\(\)/);
    }
  });

  it('leaves every status decision to the machine: the runner assigns no saga or step status', () => {
    const runner = readFileSync(join(LIB, 'engine', 'saga.runner.ts'), 'utf8');
    expect(runner).not.toMatch(/\.status\s*=[^=]/);
    expect(runner).not.toMatch(/\bcan(Cancel|Compensate|Pause|Resume|Retry|ResolveStep|Transition)\b/);
  });

  it('keeps the retry policy out of the engine', () => {
    expect(sources(join(LIB, 'engine')).map((f) => relative(LIB, f))).not.toContain(join('engine', 'retry-policy.ts'));
    expect(sources(join(LIB, 'retry')).map((f) => relative(LIB, f))).toContain(join('retry', 'retry-policy.ts'));
  });
});
