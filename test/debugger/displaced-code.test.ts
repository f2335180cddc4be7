/**
 * Instructions moved out of a breakpoint site: each re-encoded copy, decoded again, does what
 * the original did at its own address (same operand, same destination, same return address).
 */
import { describe, expect, it } from "vitest";
import { decodeInstructions } from "../../src/debugger/inspect/disassembly.js";
import { displace } from "../../src/debugger/run/displaced-code.js";

const SITE = 0x401000n;
const COPY = 0x402000n;

async function movedFrom(bytes: number[], extra: { threadPcs?: bigint[] } = {}) {
  const code = await decodeInstructions(Uint8Array.from(bytes), SITE);
  return displace(SITE, { functionCode: code, threadPcs: extra.threadPcs ?? [] });
}

async function copyText(bytes: number[]): Promise<string[]> {
  const d = await movedFrom(bytes);
  if (d.kind !== "ok") throw new Error(d.reason);
  return (await decodeInstructions(d.code.encode(COPY), COPY)).map((i) => `${i.mnemonic} ${i.opStr}`.trim());
}

describe("displaced instructions", () => {
  it("a rip-relative load keeps its operand", async () => {
    // mov rax, [rip+0x100] (7 bytes) at SITE: operand SITE+7+0x100.
    const text = await copyText([0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00, 0x90]);
    const disp = COPY + 7n;
    expect(text[0]).toBe(`mov rax, qword ptr [rip - 0x${(disp - (SITE + 7n + 0x100n)).toString(16)}]`);
    expect(text[1]).toBe(`jmp 0x${(SITE + 7n).toString(16)}`);
  });

  it("a short conditional branch becomes a near one to the same place", async () => {
    // cmp eax, 1 (3 bytes); je +0x10 (2 bytes): target SITE+5+0x10.
    const text = await copyText([0x83, 0xf8, 0x01, 0x74, 0x10, 0x90]);
    expect(text).toEqual(["cmp eax, 1", `je 0x${(SITE + 0x15n).toString(16)}`, `jmp 0x${(SITE + 5n).toString(16)}`]);
  });

  it("a call returns into the program's code, not into the copy", async () => {
    // call +0x100 (5 bytes): target SITE+5+0x100, return address SITE+5.
    const text = await copyText([0xe8, 0x00, 0x01, 0x00, 0x00]);
    const ret = SITE + 5n;
    expect(text).toEqual([
      "lea rsp, [rsp - 8]",
      `mov dword ptr [rsp], 0x${(ret & 0xffffffffn).toString(16)}`,
      `mov dword ptr [rsp + 4], ${ret >> 32n}`,
      `jmp 0x${(SITE + 0x105n).toString(16)}`,
      `jmp 0x${(SITE + 5n).toString(16)}`,
    ]);
  });

  it("an indirect call becomes a jump through the same operand after the pushed return address", async () => {
    // mov eax, 1 (5 bytes) then... use: nop3 + call rax (2 bytes) = 5 bytes.
    const text = await copyText([0x0f, 0x1f, 0x00, 0xff, 0xd0]);
    expect(text[0]).toBe("nop dword ptr [rax]");
    expect(text[4]).toBe("jmp rax");
  });

  it("is refused where code jumps into the moved bytes, a thread is inside them, or a call is not last", async () => {
    // nop3; nop3; jmp back to SITE+3 (inside the 6 moved bytes).
    const into = await movedFrom([0x0f, 0x1f, 0x00, 0x0f, 0x1f, 0x00, 0xeb, 0xfb]);
    expect(into.kind === "refused" && into.reason).toMatch(/jumps to 0x401003, inside/);
    const busy = await movedFrom([0x0f, 0x1f, 0x00, 0x0f, 0x1f, 0x00, 0x90], { threadPcs: [SITE + 3n] });
    expect(busy.kind === "refused" && busy.reason).toMatch(/a thread is at 0x401003/);
    const call = await movedFrom([0xff, 0xd0, 0x0f, 0x1f, 0x00, 0x90]);
    expect(call.kind === "refused" && call.reason).toMatch(/the call at 0x401000 leaves the 2 bytes/);
    const loop = await movedFrom([0xe2, 0x10, 0x0f, 0x1f, 0x00]);
    expect(loop.kind === "refused" && loop.reason).toMatch(/loop at 0x401000 has no 32-bit form/);
  });
});
