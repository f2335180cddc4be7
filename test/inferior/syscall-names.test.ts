import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeSyscall, SYSCALL_NAMES, syscallName } from "../../src/inferior/syscalls/names.js";
import { SYSCALLS } from "../../src/inferior/syscalls/table.js";

const UNISTD = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";

/** The kernel headers' own numbering: `#define __NR_<name> <number>`. */
function headerNumbers(): Map<string, number> {
  const text = readFileSync(UNISTD, "utf8");
  return new Map([...text.matchAll(/^#define __NR_(\w+)\s+(\d+)\s*$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

describe("x86-64 syscall names", () => {
  it("covers 0..334 and 424..450 and nothing else", () => {
    const expected = [...Array.from({ length: 335 }, (_, i) => i), ...Array.from({ length: 27 }, (_, i) => 424 + i)];
    expect([...SYSCALL_NAMES.keys()].sort((a, b) => a - b)).toEqual(expected);
    expect(new Set(SYSCALL_NAMES.values()).size).toBe(SYSCALL_NAMES.size);
  });

  it.skipIf(!existsSync(UNISTD))("agrees with the installed kernel headers (asm/unistd_64.h)", () => {
    const header = headerNumbers();
    for (const [name, nr] of [["read", 0], ["sysinfo", 99], ["prctl", 157], ["arch_prctl", 158], ["exit_group", 231], ["rseq", 334], ["pidfd_send_signal", 424], ["clone3", 435], ["set_mempolicy_home_node", 450]] as const) {
      expect(header.get(name), name).toBe(nr);
      expect(syscallName(nr)).toBe(name);
    }
    // And every number those headers define, up to the last one this table knows.
    for (const [name, nr] of header) if (nr <= 450) expect(syscallName(nr), `__NR_${name}`).toBe(name);
  });

  it("names the handlers' syscalls the same way", () => {
    for (const [nr, entry] of SYSCALLS) expect(syscallName(nr), `syscall ${nr}`).toBe(entry.name);
  });

  it("describes numbers with and without a name", () => {
    expect(describeSyscall(99)).toBe("sysinfo (99)");
    expect(describeSyscall(335)).toBe("335 (not an x86-64 Linux syscall)");
    expect(syscallName(-1)).toBeUndefined();
  });
});
