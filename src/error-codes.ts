/**
 * Every error code jitdbg throws, with the DAP error id family a client sees for it (adapter/errors.ts
 * ErrorIds) and what it means. `ErrorCode` is the union of the keys: JitdbgError and its subclasses
 * take an ErrorCode, so a code that is not in this table does not compile.
 *
 * The families reproduce the prefix rules the adapter used before the table existed (EXPR_ is an
 * expression error, VALUE_ and REGISTER_ a set-value error, LOAD_, ELF_ and EMU_ a launch failure, and so
 * on); test/dap/error-codes.test.ts keeps a frozen copy of those rules and checks every row.
 */

/** The DAP error id families; adapter/errors.ts gives each its number. */
export type ErrorFamily =
  | "launchFailed"
  | "notLaunched"
  | "running"
  | "exited"
  | "badFrame"
  | "badReference"
  | "badBreakpoint"
  | "badArgument"
  | "expression"
  | "setValue"
  | "memory"
  | "unsupported"
  | "internal";

export interface ErrorCodeInfo {
  readonly family: ErrorFamily;
  readonly meaning: string;
}

export const ERROR_CODES = {
  ADAPTER_BAD_ARGUMENT: { family: "badArgument", meaning: "a DAP request carried an argument the adapter cannot use" },
  AS_BAD_RANGE: { family: "internal", meaning: "an address-space mapping was asked for an empty range or one outside user space" },
  AS_NO_SPACE: { family: "internal", meaning: "the address space has no free range of the requested size" },
  AS_OVERLAP: { family: "internal", meaning: "a mapping would overlap an existing one" },
  BAD_FRAME: { family: "badFrame", meaning: "a frame index or id that the current stack does not have" },
  BAD_REFERENCE: { family: "badReference", meaning: "a variables reference that is unknown or expired" },
  BAD_THREAD: { family: "badArgument", meaning: "a thread id that names no live thread" },
  BAD_REGISTER: { family: "internal", meaning: "a name that is not a settable register" },
  CLI_INPUT: { family: "internal", meaning: "a file named on the command line cannot be read" },
  CLI_LOG_UNWRITABLE: { family: "internal", meaning: "the JITDBG_LOG file cannot be opened for appending" },
  CLI_USAGE: { family: "internal", meaning: "the command line is not valid for the command" },
  DAP_ADAPTER_EXITED: { family: "internal", meaning: "the adapter process exited while requests were pending" },
  DAP_ADAPTER_SPAWN: { family: "internal", meaning: "the adapter process could not be started" },
  DAP_CLOSED: { family: "internal", meaning: "the client closed the connection while requests were pending" },
  DAP_ERROR: { family: "internal", meaning: "the adapter answered a request with an error response" },
  DAP_FRAMING: { family: "internal", meaning: "the adapter sent bytes that are not valid DAP framing" },
  DAP_TIMEOUT: { family: "internal", meaning: "the adapter did not answer within the time-out" },
  DEMO_BUILD: { family: "internal", meaning: "gcc could not build the demo's example" },
  DEMO_NOT_BUILT: { family: "internal", meaning: "the demo's adapter has not been built" },
  DEMO_NO_GCC: { family: "internal", meaning: "the demo needs gcc, which is not installed" },
  DWARF_BAD_ABBREV_CODE: { family: "internal", meaning: "a DIE uses an abbreviation code its table does not define" },
  DWARF_BAD_ABBREV_OFFSET: { family: "internal", meaning: "a unit's abbreviation table offset is outside .debug_abbrev" },
  DWARF_BAD_CFI: { family: "internal", meaning: "call-frame instructions that contradict the CFA rule in force" },
  DWARF_BAD_EXPRESSION: { family: "internal", meaning: "a DWARF expression failed while being evaluated" },
  DWARF_BAD_LINE_TABLE: { family: "internal", meaning: "a unit's line table cannot be read" },
  DWARF_BAD_POINTER_ENCODING: { family: "internal", meaning: "an .eh_frame pointer uses an unknown encoding" },
  DWARF_BAD_STRING: { family: "internal", meaning: "a string offset is outside its string section" },
  DWARF_BAD_UNIT_LENGTH: { family: "internal", meaning: "a unit's length runs past the end of its section" },
  DWARF_CORRUPT: { family: "internal", meaning: "DWARF data that is malformed (a general decoding failure)" },
  DWARF_MISSING_SECTION: { family: "internal", meaning: "a debug section that the reader needs is absent" },
  DWARF_POINTER_BASE: { family: "internal", meaning: "a relative pointer encoding whose base was not given" },
  DWARF_TRUNCATED: { family: "internal", meaning: "DWARF data that ends before the structure being read" },
  DWARF_UNKNOWN_FORM: { family: "internal", meaning: "an attribute form the reader does not know" },
  DWARF_UNKNOWN_OP: { family: "internal", meaning: "a DWARF expression opcode the reader does not know" },
  DWARF_UNSUPPORTED: { family: "internal", meaning: "a DWARF construct the reader does not support" },
  DWARF_UNSUPPORTED_RELOCATION: { family: "internal", meaning: "a relocation type in a debug section that is not supported" },
  DWARF_UNSUPPORTED_UNIT: { family: "internal", meaning: "a unit type the reader does not know" },
  DWARF_UNSUPPORTED_VERSION: { family: "internal", meaning: "a DWARF or CFI version the reader does not support" },
  DWARF_UNWIND_EXPRESSION: { family: "internal", meaning: "a CFA expression that cannot be computed in this frame" },
  DWARF_UNWIND_REGISTER: { family: "internal", meaning: "a CFA rule that needs a register this frame does not know" },
  ELF_BAD_LINK: { family: "launchFailed", meaning: "a section's sh_link names a section of the wrong kind" },
  ELF_CLASS: { family: "launchFailed", meaning: "a 32-bit ELF file" },
  ELF_CORRUPT: { family: "launchFailed", meaning: "ELF structures that are malformed" },
  ELF_ENDIAN: { family: "launchFailed", meaning: "a big-endian ELF file" },
  ELF_MACHINE: { family: "launchFailed", meaning: "an ELF file for a machine other than x86-64" },
  ELF_NOT_ELF: { family: "launchFailed", meaning: "a file that is not ELF" },
  ELF_SECTION_BOUNDS: { family: "launchFailed", meaning: "a section that extends past the end of the file" },
  ELF_SEGMENT_BOUNDS: { family: "launchFailed", meaning: "a segment that extends past the end of the file" },
  ELF_SEGMENT_OVERLAP: { family: "launchFailed", meaning: "loadable segments that overlap" },
  ELF_TRUNCATED: { family: "launchFailed", meaning: "an ELF file shorter than its headers" },
  ELF_TYPE: { family: "launchFailed", meaning: "an ELF type that is not executable, shared object or relocatable" },
  ELF_UNSUPPORTED: { family: "launchFailed", meaning: "an ELF construct the reader does not support" },
  EMU_ERROR: { family: "launchFailed", meaning: "a Unicorn call failed" },
  EMU_GATE: { family: "launchFailed", meaning: "the emulator's stop gate cannot be set up" },
  EMU_LOAD: { family: "launchFailed", meaning: "the Unicorn library cannot be loaded" },
  EMU_MEM_UNREADABLE: { family: "memory", meaning: "the emulator cannot read the requested memory" },
  EMU_MEM_UNWRITABLE: { family: "memory", meaning: "the emulator cannot write the requested memory" },
  EMU_NOT_FOUND: { family: "launchFailed", meaning: "the Unicorn library was not found" },
  EMU_SETUP: { family: "launchFailed", meaning: "the emulated CPU cannot be configured" },
  EVAL_BREAKPOINT: { family: "internal", meaning: "an expression stopped at a breakpoint and was undone" },
  EVAL_CONDITION_TYPE: { family: "internal", meaning: "a condition whose type is not a number or pointer" },
  EVAL_CONDITION_VOID: { family: "internal", meaning: "a condition of type void" },
  EVAL_BLOCKED: { family: "internal", meaning: "an expression waited for another thread and was undone" },
  EVAL_EXITED: { family: "internal", meaning: "an expression ended the program and was undone" },
  EVAL_IFUNC: { family: "internal", meaning: "an indirect function's resolver failed during an evaluation" },
  EVAL_LOCATION: { family: "internal", meaning: "a variable of another image whose location needs that image's frame" },
  EVAL_NOT_ASSIGNABLE: { family: "internal", meaning: "an assignment to a variable that lives in no register or memory" },
  EVAL_NO_ENTRY: { family: "internal", meaning: "a compiled expression object without its entry symbol" },
  EVAL_NO_THREAD: { family: "internal", meaning: "no thread to run an expression on" },
  EVAL_PERSISTENT_EXISTS: { family: "internal", meaning: "a persistent variable declared twice" },
  EVAL_PERSISTENT_FULL: { family: "internal", meaning: "the persistent-variable region is full" },
  EVAL_REGISTER_READ_ONLY: { family: "internal", meaning: "a register variable assigned outside the innermost frame" },
  EVAL_REGISTER_UNAVAILABLE: { family: "internal", meaning: "a register variable whose value this frame does not know" },
  EVAL_SIDE_EFFECTS: { family: "internal", meaning: "a condition to run in the program's path that calls or assigns" },
  EVAL_SIGNAL: { family: "internal", meaning: "an expression received a signal and was undone" },
  EVAL_SLOT: { family: "internal", meaning: "the compiled code's argument block names no frame variable" },
  EVAL_STALE: { family: "internal", meaning: "a variable moved while its block was compiled" },
  EVAL_TIMEOUT: { family: "internal", meaning: "an expression did not finish within its time-out" },
  EVAL_TLS_LOCATION: { family: "internal", meaning: "a thread-local variable whose location is not a block offset" },
  EVAL_TLS_UNAVAILABLE: { family: "internal", meaning: "a thread-local variable without a block in this thread" },
  EVAL_UNAVAILABLE: { family: "internal", meaning: "a variable that has no value at this point" },
  EVAL_UNREADABLE: { family: "internal", meaning: "a variable whose memory cannot be read" },
  EVAL_VOID_VARIABLE: { family: "internal", meaning: "a variable declared with type void" },
  EXPR_ARITHMETIC: { family: "expression", meaning: "an arithmetic error found while evaluating (division by zero)" },
  EXPR_CC_FAILED: { family: "expression", meaning: "the external C compiler rejected a :c block" },
  EXPR_CC_MISSING: { family: "expression", meaning: "the external C compiler for :c blocks is not installed" },
  EXPR_HISTORY: { family: "expression", meaning: "a value-history name ($, $$, $$n) beyond the values kept so far" },
  EXPR_MEMORY: { family: "expression", meaning: "memory an interpreted expression reads cannot be read" },
  EXPR_NOT_FUNCTION: { family: "expression", meaning: "a call of something that is not a function" },
  EXPR_NOT_LVALUE: { family: "expression", meaning: "an lvalue operation on an rvalue" },
  EXPR_NO_ADDRESS: { family: "expression", meaning: "an object whose address is not known" },
  EXPR_NO_DEBUG_TYPE: { family: "expression", meaning: "a symbol used without a cast that has no debug type" },
  EXPR_NO_MEMBER: { family: "expression", meaning: "a member name the struct or union does not have" },
  EXPR_NO_PROTOTYPE: { family: "expression", meaning: "a call of a function without debug info or prototype" },
  EXPR_SIDE_EFFECT: { family: "expression", meaning: "code with side effects where none may run" },
  EXPR_SYNTAX: { family: "expression", meaning: "an expression that does not parse" },
  EXPR_TYPE: { family: "expression", meaning: "an expression that does not type-check" },
  EXPR_UNKNOWN_IDENTIFIER: { family: "expression", meaning: "a name that is not in scope" },
  EXPR_UNKNOWN_TYPE: { family: "expression", meaning: "a type name that is not known" },
  EXPR_UNSUPPORTED: { family: "expression", meaning: "a C construct the expression compiler does not support" },
  GOTO_OTHER_FUNCTION: { family: "badBreakpoint", meaning: "a goto target outside the current function" },
  IMAGE_UNREADABLE: { family: "internal", meaning: "a loaded image whose file the debugger may not or cannot read" },
  JIT_CALL_ARGS: { family: "internal", meaning: "too many arguments for a call into JIT code" },
  JIT_CALL_FAILED: { family: "internal", meaning: "a call into JIT code did not return" },
  JIT_DISCARDED_REFERENCE: { family: "internal", meaning: "a relocation against a discarded COMDAT section" },
  JIT_DUPLICATE_MODULE: { family: "internal", meaning: "a module name already loaded" },
  JIT_DUPLICATE_SYMBOL: { family: "internal", meaning: "a symbol defined in two modules" },
  JIT_FINALIZED: { family: "internal", meaning: "an operation a finalized module does not allow" },
  JIT_HOST_IFUNC: { family: "internal", meaning: "the resolver of a host indirect function failed" },
  JIT_HOST_NO_MAIN: { family: "internal", meaning: "a host program without main" },
  JIT_HOST_START: { family: "internal", meaning: "a host program that did not reach main during start-up" },
  JIT_IFUNC: { family: "internal", meaning: "an STT_GNU_IFUNC symbol in an object the JIT links" },
  JIT_INTERNAL: { family: "internal", meaning: "a broken invariant in the JIT linker" },
  JIT_MAP_OVERLAP: { family: "internal", meaning: "a section moved onto a range in use" },
  JIT_MISALIGNED: { family: "internal", meaning: "a section moved to an address that breaks its alignment" },
  JIT_MODULE_IN_USE: { family: "internal", meaning: "a module removed while others reference it" },
  JIT_MOVE_TLS: { family: "internal", meaning: "a TLS template section that was asked to move" },
  JIT_NOT_FINALIZED: { family: "internal", meaning: "initializers or finalizers run on a module not finalized" },
  JIT_NOT_RELOCATABLE: { family: "internal", meaning: "an object that is not ELF relocatable" },
  JIT_NO_ENTRY: { family: "internal", meaning: "no entry function in the linked objects" },
  JIT_NO_EXECUTOR: { family: "internal", meaning: "initializers or finalizers with no executor to run them" },
  JIT_NO_MODULE: { family: "internal", meaning: "a module that is not loaded in this linker" },
  JIT_NO_RESERVATION: { family: "internal", meaning: "a module with no memory reserved" },
  JIT_NO_SECTION: { family: "internal", meaning: "a section the module did not load" },
  JIT_NO_SPACE: { family: "internal", meaning: "no room for a module's memory" },
  JIT_NO_SYMBOL: { family: "internal", meaning: "a symbol name no linked module defines" },
  JIT_NO_TLS: { family: "internal", meaning: "thread-local variables with no TLS runtime" },
  JIT_RELOCATIONS_DROPPED: { family: "internal", meaning: "a re-link that needs relocations that were not retained" },
  JIT_RELOC_BOUNDS: { family: "internal", meaning: "a relocation that patches past the end of its section" },
  JIT_RELOC_FORMAT: { family: "internal", meaning: "a relocation section in a format x86-64 does not use (SHT_REL)" },
  JIT_RELOC_OVERFLOW: { family: "internal", meaning: "a relocated value that does not fit its field" },
  JIT_RELOC_SYMBOL: { family: "internal", meaning: "a relocation naming a symbol that does not exist" },
  JIT_RELOC_UNSUPPORTED: { family: "internal", meaning: "a relocation type the linker does not support" },
  JIT_REPLACEMENT_INCOMPLETE: { family: "internal", meaning: "a replacement module that drops symbols others use" },
  JIT_RESERVATION_TOO_SMALL: { family: "internal", meaning: "a section that does not fit its reserved space" },
  JIT_SECTION_TYPE: { family: "internal", meaning: "a section type the linker does not load" },
  JIT_TLS_FULL: { family: "internal", meaning: "the static TLS surplus is exhausted" },
  JIT_TLS_MISMATCH: { family: "internal", meaning: "a TLS reference resolved to an ordinary symbol" },
  JIT_TLS_MODULE_ID: { family: "internal", meaning: "an inferior TLS module id that collides with the JIT's" },
  JIT_UNRESOLVED: { family: "internal", meaning: "symbols no module, the inferior or the runtime define" },
  LDCACHE_CORRUPT: { family: "internal", meaning: "/etc/ld.so.cache that cannot be parsed" },
  LOAD_BAD_ADDRESS: { family: "launchFailed", meaning: "segments below the lowest mappable address" },
  LOAD_BAD_INTERPRETER: { family: "launchFailed", meaning: "a dynamic loader that cannot be read or used" },
  LOAD_NOT_EXECUTABLE: { family: "launchFailed", meaning: "a relocatable object given as a program" },
  LOAD_NOT_FILE: { family: "launchFailed", meaning: "a program path that is not a file" },
  LOAD_NOT_FOUND: { family: "launchFailed", meaning: "a program path that does not exist" },
  LOAD_NO_INTERPRETER: { family: "launchFailed", meaning: "a dynamically linked program whose loader is not found" },
  LOAD_NO_SEGMENTS: { family: "launchFailed", meaning: "a program with no loadable segments" },
  LOAD_TERMINAL: { family: "launchFailed", meaning: "the terminal for console integratedTerminal/externalTerminal could not be started or did not connect" },
  LOAD_UNREADABLE: { family: "launchFailed", meaning: "a program file that cannot be read" },
  MEMORY_UNMAPPED: { family: "memory", meaning: "a memory write to unmapped addresses" },
  NOT_RUNNING: { family: "exited", meaning: "the program has exited" },
  NO_CODE_AT_LINE: { family: "badBreakpoint", meaning: "a source line with no code" },
  NO_SUCH_VARIABLE: { family: "badReference", meaning: "a variable name not in this scope" },
  PATCH_ACTIVE: { family: "internal", meaning: "a function to patch has a frame inside it whose code jumps back into the bytes the patch's jump takes" },
  PATCH_AMBIGUOUS: { family: "internal", meaning: "several functions of the program have the name to patch" },
  PATCH_INLINED: { family: "internal", meaning: "a function to patch was also inlined into callers, which would keep the old code" },
  PATCH_NO_FUNCTION: { family: "internal", meaning: "no function of the program with debug information has the name to patch" },
  PATCH_NO_PROTOTYPE: { family: "internal", meaning: "a function to patch has no prototype in the debug information to check the patch against" },
  PATCH_NO_SYMBOL: { family: "internal", meaning: "a compiled patch does not define the function it patches" },
  PATCH_NOT_FUNCTION: { family: "internal", meaning: "':patch' was given something other than one function definition" },
  PATCH_TOO_SHORT: { family: "internal", meaning: "a function to patch is shorter than the jump to its new code" },
  PATCH_TYPE: { family: "internal", meaning: "a patch's type differs from the patched function's" },
  PATCH_UNKNOWN: { family: "internal", meaning: "':unpatch' named a function that is not patched" },
  PROCESS_CLOSED: { family: "internal", meaning: "a process used after it was closed" },
  REGISTER_READ_ONLY: { family: "setValue", meaning: "a register set outside the innermost frame" },
  RESTART_FRAME_IMPOSSIBLE: { family: "badArgument", meaning: "restartFrame of a frame that was not entered by a call the debugger can undo (inlined, outermost, no CFI, no call instruction)" },
  RUNNING: { family: "running", meaning: "a request that needs the program paused while it runs" },
  STEP_OUTERMOST: { family: "badArgument", meaning: "step out from the outermost frame" },
  STEP_NO_TARGET: { family: "badArgument", meaning: "a step-in target id that the current stop did not list" },
  VALUE_NOT_ASSIGNABLE: { family: "setValue", meaning: "an assignment target that names no object" },
  VALUE_NOT_SCALAR: { family: "setValue", meaning: "a non-scalar value set from text" },
  VALUE_PARSE: { family: "setValue", meaning: "text that is not a value of the variable's type" },
  VALUE_READ_ONLY: { family: "setValue", meaning: "a value computed by the compiler, which cannot be set" },
  VALUE_UNREADABLE: { family: "setValue", meaning: "a value whose memory cannot be read" },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(s: string): s is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, s);
}

export function errorFamily(code: ErrorCode): ErrorFamily {
  return ERROR_CODES[code].family;
}
