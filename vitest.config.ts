import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Examples import "tributary" (and its subpaths) as users do; here that is the source.
const entry = (file: string): string => fileURLToPath(new URL(`./src/${file}`, import.meta.url));
const alias = [
  { find: /^tributary$/, replacement: entry("index.ts") },
  { find: /^tributary\/sink$/, replacement: entry("sink.ts") },
  { find: /^tributary\/postgres$/, replacement: entry("postgres.ts") },
];

export default defineConfig({
  resolve: { alias },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    pool: "forks",
    projects: [
      {
        // Pure parts: no server is started (no globalSetup), so no test here may inject() one.
        extends: true,
        test: { name: "unit", include: ["test/unit/**/*.test.ts"] },
      },
      {
        // Real servers: test/global-setup.ts starts PostgreSQL and MongoDB for every file.
        extends: true,
        test: { name: "integration", include: ["test/integration/**/*.test.ts"], globalSetup: ["test/global-setup.ts"] },
      },
    ],
  },
});
