import { fileURLToPath } from 'node:url';

/**
 * Inside the workspace, the libraries resolve to their TypeScript sources, so tests and the
 * dashboard's dev server need no build. Published packages resolve to their compiled `dist` only.
 */
const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export const WORKSPACE_ALIASES = [
  { find: /^@nest-saga\/contracts$/, replacement: src('./libs/saga-contracts/src/index.ts') },
  { find: /^@nest-saga\/saga\/testing$/, replacement: src('./libs/saga/src/testing/index.ts') },
  { find: /^@nest-saga\/saga\/redis$/, replacement: src('./libs/saga/src/redis/index.ts') },
  { find: /^@nest-saga\/saga$/, replacement: src('./libs/saga/src/index.ts') },
  { find: /^@nest-saga\/admin$/, replacement: src('./libs/saga-admin/src/index.ts') },
];
