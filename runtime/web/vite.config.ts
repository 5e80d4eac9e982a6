/// <reference types="vitest/config" />
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

// dist/.keep is committed so that go:embed (runtime/web/web.go) has a file
// on a clean clone; vite's own emptying of the output would delete it, so
// this plugin empties dist itself and keeps it.
function keepEmbedPlaceholder(): Plugin {
  return {
    name: 'tessera-keep-dist-placeholder',
    apply: 'build',
    buildStart() {
      const dir = join(import.meta.dirname, 'dist');
      let entries: string[] = [];
      try {
        entries = readdirSync(dir);
      } catch {
        return;
      }
      for (const e of entries) if (e !== '.keep') rmSync(join(dir, e), { recursive: true, force: true });
    },
  };
}

export default defineConfig({
  base: '/app/',
  plugins: [react(), keepEmbedPlaceholder()],
  // The server replaces this placeholder with a fresh nonce per response
  // (runtime/web/web.go); antd's style elements carry it.
  html: { cspNonce: '__CSP_NONCE__' },
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  worker: { format: 'es' },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    testTimeout: 20000,
  },
});
