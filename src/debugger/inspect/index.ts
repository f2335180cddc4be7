/**
 * Inspection of a stopped program, side-effect free: the unwound stack (stack, inline-frames),
 * scopes and variables of a frame (frame-values, read-scope for the interpreter), registers,
 * disassembly, the loaded sources, every thread's backtrace as text, and the Inspector that serves them as DAP-shaped views
 * (splitting LLDB's `expr,x` display suffix, format-suffix, for every evaluation).
 */
export { Inspector, type Interpretation, type ScopeKind, type ScopeView, type VariableView } from "./inspector.js";
export { unwindStack, topRegisters, type Frame, type UnwindContext } from "./stack.js";
export { hiddenInlineFrames } from "./inline-frames.js";
export { disassemble, disassembleAround, loadDisassembler, postponePreload, type CodeReader, type DisassembledInstruction } from "./disassembly.js";
export { loadedSources } from "./loaded-sources.js";
export { splitFormatSuffix } from "./format-suffix.js";
export { FrameReadScope, type ReadScopeHost } from "./read-scope.js";
export { threadBacktraces } from "./thread-backtraces.js";
