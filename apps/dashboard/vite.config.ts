import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { WORKSPACE_ALIASES } from '../../workspace-aliases.js';

const root = fileURLToPath(new URL('.', import.meta.url));

// @nest-saga/contracts resolves to its TypeScript sources, so the dashboard builds without building
// the contracts first (and from a fresh clone).
export default defineConfig({
  root,
  // Relative asset URLs: the api injects `<base href>` for wherever the console is mounted.
  base: './',
  plugins: [react()],
  resolve: { alias: WORKSPACE_ALIASES },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    port: 5173,
    // `npm run dev -w dashboard` against a running api: `npm start` in another terminal.
    proxy: { '/api': process.env.SAGA_API_URL ?? 'http://localhost:3000' },
  },
});
