import { defineConfig } from "vitest/config";

// `npm run test:ui`: the steps of test/ui/*.ui.ts in order, in one VS Code window (not part of `npm test`,
// whose include is test/**/*.test.ts).
export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/ui/**/*.ui.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
