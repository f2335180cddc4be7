/**
 * Which registers a compiled condition's trampoline may leave unrestored: those the code after
 * the breakpoint site writes whole before it reads them. Instructions assembled by the machine's
 * assembler (intel syntax), decoded by the debugger's disassembler.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeInstructions } from "../../src/debugger/inspect/disassembly.js";
import { changedRegisters, deadRegisters } from "../../src/debugger/run/register-use.js";

const dir = mkdtempSync(join(tmpdir(), "jitdbg-regs-"));

async function assembled(lines: string[]) {
  const src = join(dir, "code.s");
  writeFileSync(src, `.intel_syntax noprefix\n.text\n${lines.join("\n")}\n`);
  execFileSync("gcc", ["-c", "-o", join(dir, "code.o"), src]);
  execFileSync("objcopy", ["-O", "binary", "--only-section=.text", join(dir, "code.o"), join(dir, "code.bin")]);
  return decodeInstructions(readFileSync(join(dir, "code.bin")), 0x401000n);
}

async function deadAfter(lines: string[]): Promise<string[]> {
  return [...deadRegisters(await assembled(lines), 0)].sort();
}

describe("registers a compiled condition's code changes (saved around it)", () => {
  it("movsx/movsxd and SSE's movsd write their destination only; string instructions write rsi, rdi, rcx and rax", async () => {
    expect([...changedRegisters(await assembled(["movsxd rax, dword ptr [rbp+8]", "movsx ecx, byte ptr [rbx]", "movsd xmm0, qword ptr [rsp]", "cmp rax, 1"]))!].sort()).toEqual(["rax", "rcx"]);
    expect([...changedRegisters(await assembled(["rep movsb", "movsq"]))!].sort()).toEqual(["rax", "rcx", "rdi", "rsi"]);
  });
});

describe("registers dead at a breakpoint site", () => {
  it("a whole write before any read kills the register; a read first keeps it", async () => {
    expect(await deadAfter(["mov rdx, qword ptr [rbp-0x18]", "mov rax, qword ptr [rbp-8]", "add rax, rdx", "mov rdi, rax", "call 0x401000"])).toEqual(["rax", "rdi", "rdx"]);
    expect(await deadAfter(["add rax, 1", "mov rax, 2", "ret"])).toEqual([]);
  });

  it("a 32-bit write zero-extends (dead); an 8- or 16-bit write keeps the rest (live)", async () => {
    expect(await deadAfter(["mov ecx, 5", "mov r8d, 1", "mov al, 1", "mov dx, 2", "ret"])).toEqual(["r8", "rcx"]);
  });

  it("registers in an address are read, and so is a destination of read-modify-write", async () => {
    expect(await deadAfter(["mov rsi, qword ptr [rsi+rcx*8]", "lea rcx, [rcx+1]", "xor r9d, r9d", "ret"])).toEqual([]);
  });

  it("the scan ends at a branch and at instructions with implicit operands: nothing past them is decided", async () => {
    expect(await deadAfter(["test eax, eax", "je 1f", "mov rbx, 1", "1:", "ret"])).toEqual([]);
    expect(await deadAfter(["cqo", "mov rdx, 1", "ret"])).toEqual([]);
    expect(await deadAfter(["mov r10, 1", "rep stosb", "mov rdi, 1"])).toEqual(["r10"]);
  });
});
