import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// `source` makes @nest-saga/contracts resolve to its TypeScript sources, so the dashboard builds
// without building the contracts first (and from a fresh clone).
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  resolve: { conditions: ['source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    port: 5173,
    // `npm run dev -w dashboard` against a running api: `npm start` in another terminal.
    proxy: { '/api': process.env.SAGA_API_URL ?? 'http://localhost:3000' },
  },
});
