import { defineConfig } from 'vite';

// Cross-origin isolation (COOP/COEP) lets onnxruntime-web use threads; without it, one thread.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { headers: isolation },
  preview: { headers: isolation },
  // onnxruntime-web locates its .wasm next to its module; pre-bundling would move the module.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
});
