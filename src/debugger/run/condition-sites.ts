/**
 * What the breakpoint manager needs of conditions compiled into the program's path
 * (evaluate/compiled-conditions.ts): install one breakpoint's condition at an address, take the
 * jump away and put it back around steps, read the hits the program counted, and show the
 * program's own bytes where the debugger reads code.
 */
export interface SiteRequest {
  address: bigint;
  condition: string | undefined;
  hitCondition: string | undefined;
  /** Inlined calls not yet entered at the address that a stop there hides. */
  hiddenInline: number;
  /** Hits counted so far (the program counts on from there). */
  hits: number;
}

/** An installed site: armed (the jump in place) or not (the program's bytes; the hook is at the site). */
export interface CompiledSite {
  readonly address: bigint;
  /** Where the hook goes while armed: reached only when the condition holds. */
  readonly trap: bigint;
  armed: boolean;
}

export interface ConditionSites {
  /** Whether conditions can be compiled now (the program's thread is set up). */
  ready(): boolean;
  /** Compiles and installs (armed when no thread is inside the bytes it takes), or says why not. */
  install(req: SiteRequest): CompiledSite | { refused: string; transient?: boolean };
  /** Puts the program's bytes back and unloads the condition; the hits the program counted. */
  remove(address: bigint): number | undefined;
  /** The jump in place, the program counting on from `hits`; false when a thread is inside its bytes. */
  arm(address: bigint, hits: number): boolean;
  /** The program's bytes back; the hits the program counted. */
  disarm(address: bigint): number | undefined;
  /** Hits the program counted (hit conditions only). */
  hits(address: bigint): number | undefined;
  /** `bytes` read at `address` with the program's own code where jumps are. */
  overlay(address: bigint, bytes: Uint8Array): Uint8Array;
}
