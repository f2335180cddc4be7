/**
 * What decoded code does to registers, as far as a trampoline must know: which general
 * registers a condition's code may change (only those are saved around it), and whether the
 * flags and each register are still needed after a breakpoint site (what its code sets before
 * reading need not be put back). Conservative: anything not understood counts as a change or a use.
 */
import type { RegName } from "../../emu/registers.js";
import type { DecodedInstruction } from "../inspect/disassembly.js";

const GPRS: readonly RegName[] = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

/** Every name of each register (64/32/16/8-bit). */
const ALIASES: ReadonlyMap<string, RegName> = new Map(
  GPRS.flatMap((r): [string, RegName][] => {
    const n = /^r(\d+)$/.exec(r);
    if (n) return [r, `${r}d`, `${r}w`, `${r}b`].map((a) => [a, r]);
    const base = r.slice(1); // ax, bx, si, bp...
    const low = base.endsWith("x") ? `${base[0]}l` : `${base}l`;
    const high = base.endsWith("x") ? [`${base[0]}h`] : [];
    return [r, `e${base}`, base, low, ...high].map((a) => [a, r]);
  }),
);

/** Registers an instruction changes without naming them. */
const IMPLICIT: Record<string, readonly RegName[]> = {
  mul: ["rax", "rdx"], div: ["rax", "rdx"], idiv: ["rax", "rdx"],
  cqo: ["rdx"], cdq: ["rdx"], cwd: ["rdx"], cdqe: ["rax"], cwde: ["rax"], cbw: ["rax"],
  cpuid: ["rax", "rbx", "rcx", "rdx"], rdtsc: ["rax", "rdx"], rdtscp: ["rax", "rcx", "rdx"],
  lahf: ["rax"],
};

/** Instructions that read their first operand only (no register written). */
const READS_ONLY = /^(cmp|test|bt|ucomis[sd]|comis[sd]|push|jmp|j[a-z]+|nop|endbr64|ret|leave|cmov.*)$/;

/**
 * The general registers `code` may change, or undefined when it cannot tell; rsp is the caller's
 * to balance. (A function that saves rbp still counts as changing it: a fault in its middle
 * leaves it changed.)
 */
export function changedRegisters(code: readonly DecodedInstruction[]): Set<RegName> | undefined {
  const out = new Set<RegName>();
  for (const i of code) {
    const m = i.mnemonic.replace(/^(lock|rep|repe|repne|notrack|bnd)\s+/, "");
    if (m === "call" || /\s/.test(m) || /^(int|ud2|hlt|enter|syscall)/.test(m)) return undefined;
    for (const r of IMPLICIT[m] ?? []) out.add(r);
    if (m === "imul" && !i.opStr.includes(",")) ["rax", "rdx"].forEach((r) => out.add(r as RegName));
    // String instructions (not movsx/movsxd, nor SSE's movsd/cmpsd, whose operands are xmm registers).
    if (/^(movs|stos|lods|scas|cmps)[bwdq]?$/.test(m) && !/xmm/.test(i.opStr)) ["rsi", "rdi", "rcx", "rax"].forEach((r) => out.add(r as RegName));
    if (/^(xchg|xadd|cmpxchg)/.test(m)) {
      // Both operands may change.
      for (const name of i.opStr.split(/[^a-z0-9]+/)) {
        const r = ALIASES.get(name);
        if (r) out.add(r);
      }
      if (m.startsWith("cmpxchg")) out.add("rax");
      continue;
    }
    if (m === "pop") {
      const r = ALIASES.get(i.opStr.trim());
      if (r && r !== "rsp") out.add(r);
      continue;
    }
    if (READS_ONLY.test(m)) continue;
    const dest = i.opStr.split(",")[0]!.trim();
    const r = ALIASES.get(dest);
    if (r && r !== "rsp") out.add(r);
  }
  return out;
}

/** Instructions that read the arithmetic flags. */
const READS_FLAGS = /^(j(?!mp)[a-z]+|set[a-z]+|cmov[a-z]+|adc|sbb|rc[lr]|pushf[q]?|lahf|into|fcmov.*|loop.*)$/;
/** Instructions that set every arithmetic flag without reading one (inc/dec leave CF). */
const SETS_FLAGS = /^(cmp|test|add|sub|and|or|xor|neg|imul|mul|sar|shl|shr|sal|popcnt|lzcnt|tzcnt|bsf|bsr|ucomis[sd]|comis[sd]|bt)$/;

/**
 * Whether the flags as they are at `code[start]` may still be read: false when the instructions
 * from there set them before any reads them, or reach a call or a return (the psABI keeps no flags
 * across those). A shift by a count can leave them unchanged (count 0), so only counted shifts by
 * an immediate other than 0 count as setting them.
 */
export function flagsLive(code: readonly DecodedInstruction[], start: number): boolean {
  for (let k = start; k < code.length && k < start + 32; k++) {
    const i = code[k]!;
    const m = i.mnemonic.replace(/^(lock|notrack|bnd)\s+/, "");
    if (READS_FLAGS.test(m)) return true;
    if (m === "call" || m === "ret") return false;
    if (/^(sar|shl|shr|sal)$/.test(m)) {
      const count = i.opStr.split(",")[1]?.trim();
      if (count === undefined || !/^(0x[0-9a-f]+|\d+)$/.test(count) || Number(count) === 0) return true;
      return false;
    }
    if (SETS_FLAGS.test(m)) return false;
    if (m === "jmp") return true; // where it goes is not followed
  }
  return true;
}

/** Instructions whose first operand, a register, is written without being read. */
const WRITES_FIRST = /^(mov|movabs|movzx|movsx|movsxd|lea|set[a-z]+|pop)$/;
/** Instructions understood well enough to follow: explicit operands only, the first read and written (or, above, written). */
const READ_WRITE_FIRST = /^(add|sub|and|or|xor|adc|sbb|imul|shl|shr|sar|sal|rol|ror|inc|dec|neg|not)$/;

/**
 * The general registers whose values at `code[start]` are never read: the straight-line code from
 * there writes all 64 bits (a 32-bit write zero-extends) before any instruction reads them. The
 * scan ends, everything not yet decided counting as read, at a branch, call, return, an
 * instruction with implicit operands, or one not understood.
 */
export function deadRegisters(code: readonly DecodedInstruction[], start: number): Set<RegName> {
  const dead = new Set<RegName>();
  const read = new Set<RegName>();
  const use = (text: string): void => {
    for (const name of text.split(/[^a-z0-9]+/)) {
      const r = ALIASES.get(name);
      if (r && !dead.has(r)) read.add(r);
    }
  };
  for (let k = start; k < code.length && k < start + 32; k++) {
    const i = code[k]!;
    const m = i.mnemonic;
    const ops = i.opStr.split(",").map((o) => o.trim());
    const first = ops[0] ?? "";
    if (/^(nop|endbr64)$/.test(m)) continue;
    if (m === "cmp" || m === "test" || m === "push" || m === "bt") {
      use(i.opStr);
      continue;
    }
    const writesFirst = WRITES_FIRST.test(m);
    if (!writesFirst && !READ_WRITE_FIRST.test(m)) break;
    if (m === "imul" && ops.length < 2) break; // rdx:rax = rax * src
    if (/^(shl|shr|sar|sal|rol|ror)$/.test(m) && ops.length < 2) break;
    if (m === "pop") {
      if (!ALIASES.has(first)) break;
    }
    // Sources and address registers are read first.
    for (const o of writesFirst ? ops.slice(1) : ops) use(o);
    if (first.includes("[")) use(first);
    const r = ALIASES.get(first);
    if (!r || r === "rsp") continue;
    const full = first === r || /^e/.test(first) || /^r\d+d$/.test(first);
    if (writesFirst && full && !read.has(r)) dead.add(r);
  }
  return dead;
}
