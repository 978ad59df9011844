import { defineConfig } from 'vitest/config';

/** Node-side test config: workspace libs resolve to their TypeScript sources (the `source` condition). */
export function nodeProject(name: string, extra: { include?: string[]; testTimeout?: number; fileParallelism?: boolean } = {}) {
  return defineConfig({
    resolve: { conditions: ['source', 'import', 'module', 'default'] },
    ssr: { resolve: { conditions: ['source', 'import', 'node', 'default'], externalConditions: ['source'] } },
    test: {
      name,
      environment: 'node',
      include: extra.include ?? ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      testTimeout: extra.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      fileParallelism: extra.fileParallelism ?? true,
    },
  });
}
