/**
 * Multi-process tests run compiled app instances: build the libraries and the worker fixture once
 * per test run, before any test file starts.
 */
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const tsc = resolve(root, 'node_modules/typescript/bin/tsc');
  for (const project of ['libs/saga-contracts/tsconfig.lib.json', 'libs/saga/tsconfig.lib.json', 'libs/saga/test/fixtures/tsconfig.json']) {
    execFileSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
  }
}
