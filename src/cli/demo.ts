/**
 * `jitdbg demo`: the first thing a new user sees. Builds the bundled example with the machine's
 * gcc and runs it in the emulated CPU, then shows how a crash is reported.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { JitdbgError } from "../errors.js";
import { Process } from "../inferior/process.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", fileURLToPath(import.meta.url).includes("/dist/") ? ".." : "");
const EXAMPLE = join(root, "test", "fixtures", "demo", "inventory.c");
const CRASH = `#include <stdio.h>\nstruct node { int value; struct node *next; };\nint sum(struct node *n) { int s = 0; for (; n; n = n->next) s += n->value; return s; }\nint main(void) {\n  struct node c = {3, (struct node *)0x40}, b = {2, &c}, a = {1, &b};\n  printf("sum = %d\\n", sum(&a));\n  return 0;\n}\n`;

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

function build(source: string, out: string): void {
  try {
    execFileSync("gcc", ["-static", "-g", "-O1", "-o", out, source], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === "ENOENT") throw new JitdbgError("DEMO_NO_GCC", "the demo needs gcc to build its example: `apt-get install gcc`");
    throw new JitdbgError("DEMO_BUILD", `gcc could not build ${source}:\n${err.stderr?.toString() ?? err.message}`);
  }
}

function prefixLines(text: string, prefix: string): string {
  return text.replace(/^(?=.)/gm, prefix);
}

function runShown(exe: string, args: string[]): void {
  const started = process.hrtime.bigint();
  const proc = Process.launch(exe, {
    args,
    env: ["LANG=C"],
    reproducible: true,
    onStdout: (d) => process.stdout.write(prefixLines(Buffer.from(d).toString(), "  │ ")),
    onStderr: (d) => process.stdout.write(prefixLines(Buffer.from(d).toString(), "  ! ")),
  });
  try {
    const end = proc.runToEnd();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const regions = proc.space.list();
    if (end.kind === "exited") console.log(`  └ exited with status ${end.status} after ${ms.toFixed(1)} ms`);
    else console.log(`  └ ${bold(end.name)}: ${end.description} (pc 0x${end.pc.toString(16)}) — a shell would show status ${128 + end.signal}`);
    console.log(dim(`    loaded at 0x${proc.image.bias.toString(16) || "0"} bias, entry 0x${proc.image.entry.toString(16)}, ${regions.length} mapped regions, heap ${proc.space.brkStart.toString(16)}..${proc.space.brkEnd.toString(16)}`));
  } finally {
    proc.close();
  }
}

export async function demoCommand(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "jitdbg-demo-"));
  try {
    console.log(bold("jitdbg demo") + " — x86-64 Linux programs in an emulated CPU (Unicorn)\n");
    const exe = join(dir, "inventory");
    console.log(`1. Build the example with the machine's compiler: ${dim(`gcc -static -g -O1 ${EXAMPLE}`)}`);
    build(EXAMPLE, exe);
    console.log(`2. Run it in the emulator with arguments "kiwi" "plum" (syscalls served by jitdbg's Linux layer):`);
    runShown(exe, ["kiwi", "plum"]);
    const crashSrc = join(dir, "crash.c");
    writeFileSync(crashSrc, CRASH);
    const crash = join(dir, "crash");
    console.log(`\n3. A program that follows a bad pointer: the fault is reported with the signal, function and address:`);
    build(crashSrc, crash);
    runShown(crash, []);
    console.log(`\nNext: ${dim("jitdbg run <static program> [args...]")} runs any static x86-64 program the same way.`);
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
