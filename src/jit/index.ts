/** The JIT linker's public surface, for src/expr and the debugger. */
export { JitLinker, type FinalizeOptions, type JitLinkerOptions, type LinkerCall, type LinkerEvent, type LocalAddress, type RetainedRelocations, type RetentionPolicy } from "./linker.js";
export { JitModule, type JitSection, type JitSymbol, type ModuleState } from "./module.js";
export { AddressSpaceMemoryManager, LOW_WINDOW, type JitMemoryManager, type Placement, type ProtGroup, type ReservationRequest, type SectionAllocation } from "./memory-manager.js";
export { TlsRuntime, type TlsBlock, type TlsTemplate } from "./tls.js";
export { ChainResolver, ElfSymbolResolver, type InferiorSymbol, type SymbolResolver } from "./resolver.js";
export { EhFrameRegistry, type EhFrameEntry } from "./eh-frame-registry.js";
export { Executor, type CallOptions } from "./executor.js";
export { JitSession, type JitSessionOptions } from "./session.js";
export { relocKind, relocTypeName, type RelocKind } from "./relocations/x86_64.js";
