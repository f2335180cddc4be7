// Pages nothing has touched are known to be zeros without reading them (Cpu.zeroPages), and the
// history's page baseline relies on it: it must still see every page the program or the debugger
// changed, and never take a file's pages not yet read in for zeros.
import { closeSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PROT_ALL, type Cpu } from "../../src/emu/cpu.js";
import { createUnicornCpu } from "../../src/emu/unicorn.js";
import type { AddressSpace, Region } from "../../src/inferior/address-space.js";
import { PageBaseline, ZERO_PAGE } from "../../src/inferior/history/page-baseline.js";

const BASE = 0x600000n;
const PAGES = 16;
const CODE_AT = 0x400000n;

/** Runs `mov [rcx], rax` (store) or `mov rax, [rcx]` (load) at `address` in the guest. */
function access(cpu: Cpu, kind: "store" | "load", address: bigint): void {
  const code = kind === "store" ? [0x48, 0x89, 0x01] : [0x48, 0x8b, 0x01];
  cpu.write(CODE_AT, Uint8Array.from(code));
  cpu.invalidateCode(CODE_AT, CODE_AT + 0x1000n);
  cpu.setReg("rax", 0x1234n);
  cpu.setReg("rcx", address);
  expect(cpu.run(CODE_AT, { until: CODE_AT + 3n })).toEqual({ kind: "ok" });
}

const page = (n: number): bigint => BASE + BigInt(n) * 0x1000n;

describe("pages known to be zeros", () => {
  let cpu: Cpu | undefined;
  afterEach(() => {
    cpu?.close();
    cpu = undefined;
  });

  it("are those nothing wrote or read, in the guest or from the debugger", () => {
    cpu = createUnicornCpu();
    cpu.map(CODE_AT, 0x1000n, PROT_ALL);
    cpu.map(BASE, BigInt(PAGES) * 0x1000n, PROT_ALL);
    expect([...cpu.zeroPages(BASE, PAGES * 0x1000)!]).toEqual(new Array(PAGES).fill(1));
    cpu.write(page(3) + 100n, Uint8Array.of(7));
    access(cpu, "store", page(5) + 8n);
    access(cpu, "load", page(7));
    cpu.read(page(9), 4);
    const known = [...cpu.zeroPages(BASE, PAGES * 0x1000)!];
    expect(known.flatMap((z, i) => (z === 0 ? [i] : []))).toEqual([3, 5, 7, 9]);
  });

  it("never include a file's pages, read in or not", () => {
    const dir = mkdtempSync(join(tmpdir(), "jitdbg-zero-"));
    const path = join(dir, "data");
    writeFileSync(path, Buffer.alloc(0x2000, 0xab));
    const fd = openSync(path, "r");
    try {
      cpu = createUnicornCpu();
      cpu.map(BASE, 0x4000n, PROT_ALL, { fd, offset: 0, length: 0x2000, stable: true });
      expect([...cpu.zeroPages(BASE, 0x4000)!]).toEqual([0, 0, 1, 1]);
      expect(cpu.read(page(1), 1)[0]).toBe(0xab);
    } finally {
      closeSync(fd);
    }
  });

  it("let the baseline see each page changed since, and share one zero page", () => {
    cpu = createUnicornCpu();
    cpu.map(CODE_AT, 0x1000n, PROT_ALL);
    cpu.map(BASE, BigInt(PAGES) * 0x1000n, PROT_ALL);
    const regions: Region[] = [{ start: BASE, end: page(PAGES), prot: PROT_ALL, kind: "mmap", name: "data" }];
    const space = { list: () => regions } as unknown as AddressSpace;
    const baseline = new PageBaseline(cpu, space, { overlay: (_at: bigint, bytes: Uint8Array) => bytes });
    expect(baseline.bytes).toBe(0);
    access(cpu, "store", page(2));
    cpu.write(page(11), Uint8Array.of(1, 2, 3));
    const changed: { page: number; before: Uint8Array }[] = [];
    baseline.compare((p, before) => changed.push({ page: p, before }));
    expect(changed.map((c) => c.page - Number(BASE >> 12n))).toEqual([2, 11]);
    expect(changed.every((c) => c.before === ZERO_PAGE)).toBe(true);
    expect(baseline.bytes).toBe(2 * 0x1000);
    // Written back to zeros: a change again, and the page is the shared one once more.
    cpu.write(page(11), new Uint8Array(3));
    const again: number[] = [];
    baseline.compare((p) => again.push(p - Number(BASE >> 12n)));
    expect(again).toEqual([11]);
    expect(baseline.bytes).toBe(0x1000);
  });

  it("let the baseline tell an untouched page from the bytes it holds for it, and drop the pages that left the mapping", () => {
    cpu = createUnicornCpu();
    cpu.map(BASE, BigInt(PAGES) * 0x1000n, PROT_ALL);
    const regions: Region[] = [{ start: BASE, end: page(PAGES), prot: PROT_ALL, kind: "mmap", name: "data" }];
    const space = { list: () => regions } as unknown as AddressSpace;
    const baseline = new PageBaseline(cpu, space, { overlay: (_at: bigint, bytes: Uint8Array) => bytes });
    const first = Number(BASE >> 12n);
    // As a replay's checkpoint gives them: other bytes for a page memory holds as zeros untouched, and zeros of another buffer.
    const held = new Uint8Array(0x1000).fill(0x5a);
    baseline.set(first + 4, held);
    baseline.set(first + 6, new Uint8Array(0x1000));
    expect([...cpu.zeroPages(BASE, PAGES * 0x1000)!].every((z) => z === 1)).toBe(true);
    expect(baseline.bytes).toBe(2 * 0x1000);
    const differ: number[] = [];
    baseline.differences((p) => differ.push(p - first));
    expect(differ).toEqual([4]);
    const changed: { page: number; before: Uint8Array }[] = [];
    baseline.compare((p, before) => changed.push({ page: p - first, before }));
    expect(changed).toEqual([{ page: 4, before: held }]);
    expect(baseline.bytes).toBe(0x1000); // page 6: zeros of its own buffer, equal to memory's, kept as they are
    // Half the mapping gone (no unmap told it): its pages leave the baseline at the next comparison.
    cpu.write(page(12), Uint8Array.of(9));
    baseline.compare(() => undefined);
    expect(baseline.bytes).toBe(2 * 0x1000);
    regions[0] = { ...regions[0]!, end: page(PAGES / 2) };
    const none: number[] = [];
    baseline.compare((p) => none.push(p));
    expect(none).toEqual([]);
    expect(baseline.bytes).toBe(0x1000);
  });
});
