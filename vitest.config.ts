import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: forks keep native Unicorn handles apart; files run in parallel, tests in a file in order.
    pool: "forks",
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
  },
});
