/** Kept so the tests' imports stay as they are: the fixture compiler is fixtures/build.ts, shared with bench/. */
export * from "../../fixtures/build.js";
