/**
 * Builds the packages once, before any test starts (other suites run processes from the libraries'
 * `dist`, so nothing may rewrite it while they run).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(
    process.execPath,
    ['node_modules/nx/dist/bin/nx.js', 'run-many', '-t', 'build', '--projects=@nest-saga/contracts,@nest-saga/saga,dashboard,@nest-saga/admin', '--output-style=static'],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } },
  );
}
