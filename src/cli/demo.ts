/**
 * `jitdbg demo` (the README's main job): builds the bundled example with the machine's gcc, starts
 * the real DAP adapter and plays a short debugging session over the protocol — breakpoint, stack,
 * locals, expressions, a step, continue to exit — printing a readable transcript.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCode, JitdbgError } from "../errors.js";
import { projectRoot } from "../project-root.js";
import { parseCommandArgs } from "./args.js";
import { DapClient, type DapMessage } from "./dap-client.js";

const root = projectRoot();
const EXAMPLE = join(root, "test", "fixtures", "demo", "inventory.c");
const ADAPTER = join(root, "dist", "adapter", "main.js");
const BREAK_LINE = 29; // `if (strcmp(head->name, name) == 0) return head;` inside find()
/** Every step of the session takes well under a second; past this the adapter is stuck. */
const REQUEST_TIMEOUT_MS = 60_000;

const tty = process.stdout.isTTY;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const cyan = (s: string) => (tty ? `\x1b[36m${s}\x1b[0m` : s);
const yellow = (s: string) => (tty ? `\x1b[33m${s}\x1b[0m` : s);

const say = (s = "") => process.stdout.write(`${s}\n`);
const sent = (what: string) => say(`${cyan("→")} ${what}`);
const got = (what: string) => say(`${yellow("←")} ${what}`);

function build(source: string, out: string): void {
  try {
    execFileSync("gcc", ["-static", "-g", "-O0", "-o", out, source], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === "ENOENT") throw new JitdbgError("DEMO_NO_GCC", "the demo needs gcc to build its example: `apt-get install gcc`");
    throw new JitdbgError("DEMO_BUILD", `gcc could not build ${source}:\n${err.stderr?.toString() ?? err.message}`);
  }
}

type Body = Record<string, unknown>;
const body = (m: DapMessage): Body => m.body ?? {};

export const DEMO_USAGE = `usage: jitdbg demo

Builds the bundled example (test/fixtures/demo/inventory.c) with gcc, starts the DAP adapter and
plays a short debugging session over the protocol, printing each request and what came back.

options:
  -h, --help      show this text`;

export async function demoCommand(argv: string[] = []): Promise<number> {
  const a = parseCommandArgs(argv, {
    options: { help: { type: "boolean", short: "h" } },
    final: "help",
    unknown: (arg) => `unknown option ${arg} for demo (see \`jitdbg demo --help\`)`,
    needsValue: (arg) => `${arg} needs a value`,
  });
  if (a.flags.has("help")) {
    say(DEMO_USAGE);
    return 0;
  }
  if (a.positionals.length > 0) throw new JitdbgError("CLI_USAGE", `demo takes no arguments, got ${a.positionals.join(" ")} (see \`jitdbg demo --help\`)`);
  if (!existsSync(ADAPTER)) throw new JitdbgError("DEMO_NOT_BUILT", `${ADAPTER} is missing: run \`npm run build\` first (npm run demo does)`);
  const dir = mkdtempSync(join(tmpdir(), "jitdbg-demo-"));
  const dap = new DapClient(process.execPath, [ADAPTER], { timeoutMs: REQUEST_TIMEOUT_MS });
  try {
    say(`${bold("jitdbg demo")} — a debugging session over the Debug Adapter Protocol, the program running in an emulated x86-64 CPU\n`);
    const exe = join(dir, "inventory");
    say(dim(`$ gcc -static -g -O0 -o inventory ${EXAMPLE.slice(root.length + 1)}`));
    build(EXAMPLE, exe);

    const program: string[] = [];
    dap.onEvent((e) => {
      if (e.event === "output" && body(e).category === "stdout") program.push(String(body(e).output));
    });

    const init = await dap.request("initialize", { adapterID: "jitdbg", pathFormat: "path", linesStartAt1: true, columnsStartAt1: true });
    sent("initialize");
    got(`capabilities: ${Object.entries(body(init)).filter(([, v]) => v === true).length} features (breakpoints, data breakpoints, disassembly, memory, ...)`);
    const initialized = dap.waitFor("initialized");
    await dap.request("launch", { program: exe, args: ["kiwi", "plum"], reproducible: true });
    sent(`launch inventory kiwi plum`);
    await initialized;
    const bps = await dap.request("setBreakpoints", { source: { path: EXAMPLE }, breakpoints: [{ line: BREAK_LINE, condition: "head->quantity > 5" }] });
    const bp = (body(bps).breakpoints as { verified: boolean; line: number }[])[0]!;
    sent(`setBreakpoints inventory.c:${BREAK_LINE} if head->quantity > 5`);
    got(`breakpoint ${bp.verified ? "verified" : "not verified"} at line ${bp.line}`);
    const firstStop = dap.waitFor("stopped");
    await dap.request("configurationDone");
    sent("configurationDone");
    await showStop(dap, await firstStop);

    say(dim("  (each expression below is compiled to an ELF object, linked into the inferior and run there)"));
    for (const expr of ["head->name", "head->quantity * head->price", "strcmp(head->name, name) == 0", "lookups", "&head->next", "int twice(int x) { return 2 * x; }", "twice(head->quantity)", "$stock = twice(head->quantity) + 1", "$stock * 10"]) {
      await evaluate(dap, expr);
    }

    const stepped = dap.waitFor("stopped");
    await dap.request("next", { threadId: stoppedThread });
    sent("next");
    await showStop(dap, await stepped, false);

    const exited = dap.waitFor("exited");
    await dap.request("setBreakpoints", { source: { path: EXAMPLE }, breakpoints: [] });
    await dap.request("continue", { threadId: stoppedThread });
    sent("continue (breakpoints cleared)");
    const code = body(await exited).exitCode;
    got(`program output:`);
    for (const line of program.join("").trimEnd().split("\n")) say(`    ${dim("│")} ${line}`);
    got(`exited with status ${String(code)}`);
    // The program has ended: an adapter that exits or fails while it says goodbye changes nothing.
    await dap.request("disconnect").catch((e: unknown) => {
      if (!hasCode(e, "DAP_ERROR", "DAP_CLOSED", "DAP_ADAPTER_EXITED", "DAP_TIMEOUT")) throw e;
    });
    say(`\n${dim("Drive the same session from VS Code (F5 on a C file with this extension), or script it over DAP.")}`);
    return 0;
  } finally {
    dap.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The thread the last stop named (the DAP thread id is the emulated tid). */
let stoppedThread = 0;

async function showStop(dap: DapClient, stopped: DapMessage, full = true): Promise<void> {
  const b = body(stopped);
  stoppedThread = Number(b.threadId);
  got(`stopped: ${String(b.reason)} — ${String(b.description ?? "")}`);
  const st = await dap.request("stackTrace", { threadId: stoppedThread, levels: 3 });
  const frames = body(st).stackFrames as { id: number; name: string; line: number; source?: { name: string } }[];
  sent("stackTrace");
  for (const [i, f] of frames.entries()) say(`    #${i} ${f.name} ${dim(f.source ? `${f.source.name}:${f.line}` : "")}`);
  if (!full) return;
  const scopes = await dap.request("scopes", { frameId: frames[0]!.id });
  for (const s of body(scopes).scopes as { name: string; variablesReference: number }[]) {
    if (s.name !== "Locals") continue; // with the parameters
    const vars = await dap.request("variables", { variablesReference: s.variablesReference });
    const list = body(vars).variables as { name: string; value: string; type?: string }[];
    if (list.length === 0) continue;
    sent(`variables (${s.name})`);
    for (const v of list) say(`    ${v.name} ${dim(`(${v.type ?? "?"})`)} = ${v.value}`);
  }
}

async function evaluate(dap: DapClient, expression: string): Promise<void> {
  const st = await dap.request("stackTrace", { threadId: stoppedThread, levels: 1 });
  const frame = (body(st).stackFrames as { id: number }[])[0]!;
  try {
    const r = await dap.request("evaluate", { expression, frameId: frame.id, context: "repl" });
    sent(`evaluate ${expression}`);
    got(`${String(body(r).result)}${body(r).type ? dim(`  (${String(body(r).type)})`) : ""}`);
  } catch (e) {
    sent(`evaluate ${expression}`);
    got(`error: ${(e as Error).message}`);
  }
}
