import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Served by `strata serve` at /admin/ (crates/strata/src/server/admin.rs): hashed bundles under
// /admin/assets/ are cached for a year, index.html never. No inline script or style is emitted,
// which the admin's CSP (`script-src 'self'; style-src 'self'`) requires.
export default defineConfig({
  base: "/admin/",
  plugins: [react()],
  // One bundle of ~575 kB (175 kB gzipped), cached for a year: splitting it buys the admin
  // nothing on a staff network.
  build: { outDir: "dist", assetsDir: "assets", modulePreload: { polyfill: false }, chunkSizeWarningLimit: 700 },
  server: { proxy: { "/api": "http://127.0.0.1:8000", "/media": "http://127.0.0.1:8000" } },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
