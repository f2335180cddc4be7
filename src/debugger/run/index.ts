/**
 * Run control: what makes the program go and what stops it. RunControl runs exact slices and
 * collects hook stops; Stepper steps by lines and instructions the way gdb does (through its
 * narrow SteppingHost); BreakpointManager binds source, function, instruction and data
 * breakpoints and decides hits; code-locations finds the addresses a line or function means;
 * stops describes what a run ended with.
 */
export { RunControl, type HookStop, type RawStop } from "./run-control.js";
export { Stepper, type StepMode, type StepOutcome, type SteppingHost } from "./stepping.js";
export { classifyInstruction } from "./instruction-kind.js";
export { restartPoint } from "./restart-frame.js";
export { BreakpointManager, hitConditionMet, littleEndian, type Breakpoint, type BreakpointKind, type BreakpointOptions, type ConditionEvaluator, type DataWatchSpec, type HitDecision, type PatchedRange, type SourceBreakpointSpec } from "./breakpoints.js";
export { scopeKey } from "./code-locations.js";
export { isExit, type ExitEvent, type RunResult, type StopEvent, type StopReason } from "./stops.js";
