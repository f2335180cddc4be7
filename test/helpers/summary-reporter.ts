/**
 * Prints the plain closing line "N passed, N failed, N skipped" after vitest's own summary, the
 * form CI reads in any language.
 */
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  private line = "";

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      if (m.state() === "failed" && [...m.children.allTests()].length === 0) failed++; // a file that failed to load
    }
    this.line = `${passed} passed, ${failed} failed, ${skipped} skipped`;
  }

  // Printed last, after the default reporter's summary, so it is the run's closing line.
  onFinished(): void {
    setImmediate(() => process.stdout.write(`${this.line}\n`));
  }
}
