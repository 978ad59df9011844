/**
 * PGlite (PostgreSQL in WASM) and the OpenTelemetry SDK are loaded only when they are used: the
 * embedded database when DATABASE_URL is unset, the SDK when OTEL_EXPORTER_OTLP_ENDPOINT is set.
 * A static import anywhere in what `main.ts` (or the benchmark) loads would load them in every
 * process; this follows the static imports from those entry points and looks for them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const LAZY = /^@electric-sql\/pglite|^@opentelemetry\/(sdk-|exporter-|resources)/;

/** `import … from 'x'`, `export … from 'x'` and `import 'x'`, without the type-only ones. */
function staticImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?([^'";]*?\s+from\s+)?'([^']+)'/gm)) {
    if (!m[2]) found.push(m[4]);
  }
  return found;
}

/** Every package a module loads at once from `entry` (through relative imports), with the file that imports it. */
function packagesLoadedBy(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const queue = [join(SRC, entry)];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const target = join(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (existsSync(target)) queue.push(target);
      } else if (!packages.has(spec)) {
        packages.set(spec, relative(SRC, file));
      }
    }
  }
  return packages;
}

describe('modules loaded only when used', () => {
  it.each(['main.ts', 'app.factory.ts', 'bench/bench.ts'])('%s loads neither PGlite nor the OpenTelemetry SDK up front', (entry) => {
    const loaded = packagesLoadedBy(entry);
    expect(loaded.has('@nestjs/core')).toBe(true);
    expect([...loaded].filter(([spec]) => LAZY.test(spec)).map(([spec, file]) => `${file} → ${spec}`)).toEqual([]);
  });

  it('the modules that use them do import them (the check above would see it)', () => {
    expect([...packagesLoadedBy('database/embedded-postgres.ts').keys()].some((spec) => LAZY.test(spec))).toBe(true);
  });
});
