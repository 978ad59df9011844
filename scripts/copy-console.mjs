// Copies the built dashboard into @nest-saga/admin's dist/console, without source maps, so the
// package ships the console it serves. Run from libs/saga-admin after `tsc` (its build script).
import { cpSync, existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const from = resolve(process.cwd(), '../../apps/dashboard/dist');
const to = resolve(process.cwd(), 'dist/console');
if (!existsSync(resolve(from, 'index.html'))) {
  console.error(`copy-console: ${from} has no index.html; build the dashboard first (npm run build at the root).`);
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true, filter: (path) => !path.endsWith('.map') });
console.log(`copy-console: ${from} -> ${to}`);
