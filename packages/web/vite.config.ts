import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No source maps in the served app: nothing to fetch but what runs.
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npx vite` in this folder, with `alcove serve` running, for live editing.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
