/**
 * The value model moved to src/values/value.ts (below src/expr and src/debugger). This re-export
 * keeps adapter/session.ts's import working until it imports from src/values itself.
 */
export * from "../values/value.js";
