import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Django serves dist/ under /static/ and answers every non-API path with dist/index.html.
export default defineConfig({
  base: '/static/',
  plugins: [vue()],
  server: {
    port: 5173,
    proxy: {
      '/api': { target: 'http://127.0.0.1:8000', changeOrigin: false },
      '/ws': { target: 'ws://127.0.0.1:8000', ws: true, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
  },
})
