/** Public surface of the expression compiler (the evaluator that runs objects lives above it). */
export { compile, typeEnvOf, type CompileOptions, type CompileResult, type ArgBlockLayout } from "./compile.js";
export { compileWithExternalCc, translationUnit, type ExternalCcOptions } from "./external-cc.js";
export type { ArgSlot } from "./check.js";
export { MapScope, type Scope, type ScopeEntity, type VariableEntity, type FunctionEntity, type EnumeratorEntity, type VariableLocation, type TlsModel } from "./scope.js";
export { ExprError, type ExprErrorCode } from "./errors.js";
export { KEYWORDS } from "./lexer.js";
export { DwarfTypeBridge } from "./dwarf-bridge.js";
export { libcPrototype } from "./builtins.js";
export type { CodeModel } from "./codegen/x86_64.js";
export * as siteForm from "./codegen/site-form.js";
export type { SiteLayout, SitePlace } from "./codegen/site-form.js";
export * from "./types.js";
