/**
 * `jitdbg rtdyld [--entry NAME] [--show-times] [--host ELF] [--seed N] obj.o... [--args ARG...]`:
 * the contract of `llvm-rtdyld -execute`. Loads the objects into a fresh emulated process, links
 * them, runs NAME (default main) with argc/argv, and exits with its return value. With --host, a
 * static executable is loaded first and its symbols (its libc, say) resolve undefined names; if it
 * has a main, its C runtime runs up to main first and NAME then runs in main's place, so stdio is
 * flushed by the host's exit().
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { performance } from "node:perf_hooks";
import { PROT_READ, PROT_WRITE } from "../emu/cpu.js";
import * as C from "../elf/constants.js";
import { ElfFile } from "../elf/reader.js";
import { JitdbgError } from "../errors.js";
import { JitSession } from "../jit/session.js";
import { DEADLOCK_STATUS } from "../inferior/process.js";
import { parseCommandArgs } from "./args.js";

export interface RtdyldArgs {
  entry: string;
  showTimes: boolean;
  host?: string;
  seed?: bigint;
  objects: string[];
  args: string[];
}

const USAGE = "usage: jitdbg rtdyld [--entry NAME] [--show-times] [--host ELF] [--seed N] obj.o... [--args ARG...]";

/** llvm-rtdyld's options: objects anywhere among them, everything after --args passed to the entry. */
export function parseRtdyldArgs(argv: string[]): RtdyldArgs {
  const a = parseCommandArgs(argv, {
    options: { entry: { type: "string" }, host: { type: "string" }, seed: { type: "string" }, "show-times": { type: "boolean" }, execute: { type: "boolean" }, args: { type: "boolean" } },
    restAfter: "args",
    ignore: ["-execute"], // llvm-rtdyld's action flag, --execute or -execute: the only one we have
    unknown: (arg) => `unknown option ${arg}\n${USAGE}`,
    needsValue: (arg) => `${arg} needs a value\n${USAGE}`,
  });
  const last = (name: string): string | undefined => a.strings.get(name)?.at(-1);
  const seed = last("seed");
  const out: RtdyldArgs = { entry: last("entry") ?? "main", showTimes: a.flags.has("show-times"), host: last("host"), seed: seed === undefined ? undefined : parseSeed(seed), objects: a.positionals, args: a.rest };
  if (out.objects.length === 0) throw new JitdbgError("CLI_USAGE", `no object files given\n${USAGE}`);
  return out;
}

function parseSeed(text: string): bigint {
  try {
    return BigInt(text);
  } catch {
    throw new JitdbgError("CLI_USAGE", `--seed needs an integer, not "${text}"\n${USAGE}`);
  }
}

function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new JitdbgError("CLI_INPUT", { file: path }, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export async function rtdyldCommand(argv: string[]): Promise<number> {
  const opts = parseRtdyldArgs(argv);
  let mode: "bare" | "process" = "bare";
  if (opts.host) {
    const file = ElfFile.parse(readInput(opts.host), opts.host);
    if (file.symbols().some((s) => s.name === "main" && s.shndx !== C.SHN_UNDEF)) mode = "process";
  }
  const session = JitSession.create({
    seed: opts.seed,
    host: opts.host ? { path: opts.host, mode, onStdout: (d) => process.stdout.write(d), onStderr: (d) => process.stderr.write(d) } : undefined,
  });
  try {
    // The files' reading is part of the load phase, as llvm-rtdyld's "load/add" timer includes its read.
    const t0 = performance.now();
    const inputs = opts.objects.map((p) => ({ path: p, bytes: readInput(p) }));
    const tRead = performance.now();
    const names = new Set<string>();
    for (const { path, bytes } of inputs) {
      let name = basename(path);
      for (let n = 2; names.has(name); n++) name = `${basename(path)}(${n})`;
      names.add(name);
      session.linker.addObject(bytes, name);
    }
    const t1 = performance.now();
    session.linker.relocate();
    const t2 = performance.now();
    session.linker.finalize();
    const t3 = performance.now();
    if (opts.showTimes) {
      process.stderr.write(`rtdyld times: load ${(t1 - t0).toFixed(3)} ms, resolve+relocate ${(t2 - t1).toFixed(3)} ms, finalize ${(t3 - t2).toFixed(3)} ms, total ${(t3 - t0).toFixed(3)} ms (the files' read, in load: ${(tRead - t0).toFixed(3)} ms)\n`);
    }
    for (const m of session.linker.modules()) session.linker.runInitializers(m);
    const entry = session.linker.getSymbolLoadAddress(opts.entry);
    if (entry === undefined) throw new JitdbgError("JIT_NO_ENTRY", `no function named "${opts.entry}" in the linked objects (choose one with --entry)`);

    if (session.process) {
      // The host's C runtime stopped at its main with argc/argv/envp in place: run ours instead.
      session.cpu.setReg("rip", entry);
      const end = session.process.runToEnd();
      if (end.kind === "exited") return end.status;
      if (end.kind === "deadlock") {
        process.stderr.write(`jitdbg rtdyld: ${end.description}\n`);
        return DEADLOCK_STATUS;
      }
      process.stderr.write(`jitdbg rtdyld: ${end.name}: ${end.description}\n`);
      return 128 + end.signal;
    }
    const argvAddr = writeArgv(session, [opts.objects[0]!, ...opts.args]);
    const result = session.executor.call(entry, [BigInt(1 + opts.args.length), argvAddr]);
    return Number(result & 0xffn);
  } finally {
    session.close();
  }
}

/** Strings and a NULL-terminated pointer array for argv, in a fresh mapping. */
function writeArgv(session: JitSession, args: string[]): bigint {
  const enc = new TextEncoder();
  const strings = args.map((a) => enc.encode(`${a}\0`));
  const size = 8 * (args.length + 1) + strings.reduce((n, s) => n + s.length, 0);
  const region = session.space.allocate(BigInt(size), { prot: PROT_READ | PROT_WRITE, kind: "mmap", name: "[argv]" });
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  let at = 8 * (args.length + 1);
  strings.forEach((s, i) => {
    dv.setBigUint64(8 * i, region.start + BigInt(at), true);
    buf.set(s, at);
    at += s.length;
  });
  session.cpu.write(region.start, buf);
  return region.start;
}
