import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Node-side test config: workspace libs resolve to their TypeScript sources (the `source` export
 * condition), so tests need no build. Keep `import` out of the list: it would leak into Node's own
 * resolution of CommonJS packages (pg-pool) and hand `require` an ES module.
 */
export function nodeProject(name: string, extra: { include?: string[]; testTimeout?: number; fileParallelism?: boolean; globalSetup?: string[] } = {}) {
  return defineConfig({
    resolve: { conditions: ['source', ...defaultServerConditions] },
    ssr: { resolve: { conditions: ['source', ...defaultServerConditions] } },
    test: {
      name,
      environment: 'node',
      include: extra.include ?? ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      testTimeout: extra.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      fileParallelism: extra.fileParallelism ?? true,
      globalSetup: extra.globalSetup,
    },
  });
}
