/**
 * Evaluation by running code: the ExpressionEvaluator compiles console, watch and condition text
 * with src/expr, links it into the inferior and calls it (failed calls roll back through the
 * undo log); expr-scope resolves names against a frame for the compiler.
 */
export { ExpressionEvaluator, type EvalStep, type EvaluateContext, type EvaluateOptions, type Evaluation } from "./expr-evaluator.js";
export { FrameScope, type ScopeHost } from "./expr-scope.js";
export { CompiledConditions } from "./compiled-conditions.js";
