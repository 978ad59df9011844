import type { RunningApp } from './app.factory.js';
import type { ApiConfig } from './config/api-config.js';

/**
 * What the api prints once it listens. When it made the operator token itself (no
 * SAGA_ADMIN_TOKENS), the dashboard line carries it: the only place a token is ever written out.
 */
export function startupBanner(config: ApiConfig, running: Pick<RunningApp, 'port' | 'dashboardBuilt'>): { warn: string[]; log: string[] } {
  const base = (config.publicUrl ?? `http://localhost:${running.port}`).replace(/\/$/, '');
  const warn: string[] = [];
  if (!running.dashboardBuilt) warn.push('The dashboard is not built (apps/dashboard/dist is missing): run `npm run build`.');
  const log = [
    `Database: ${config.databaseUrl ? 'PostgreSQL from DATABASE_URL' : `embedded PGlite in ${config.dataDir}`}; demo ${config.demo ? 'on' : 'off'}`,
    `API docs: ${base}/api/docs   health: ${base}/api/health   metrics: ${base}/metrics`,
    config.generatedToken
      ? `Dashboard (operator token made at start; set SAGA_ADMIN_TOKENS to choose tokens): ${base}/?token=${config.adminTokens[0].token}`
      : `Dashboard: ${base}/`,
  ];
  return { warn, log };
}
