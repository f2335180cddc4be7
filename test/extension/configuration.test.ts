/**
 * The bundled extension's configuration providers against a stub `vscode`, building real C files
 * with the machine's gcc: defaults, F5 without launch.json, and the messages when it cannot build.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/compile.js";
import { loadBundledExtension, runBundleScript, stubContext } from "./load-extension.js";
import * as vscode from "./vscode-stub.js";

const HELLO = `#include <stdio.h>
#ifndef GREETING
#define GREETING "hello"
#endif
int main(int argc, char **argv) {
  printf("%s from %d args\\n", GREETING, argc);
  return 0;
}
`;

let dir: string;
let buildDir: string;
let initial: vscode.StubConfigurationProvider;
let dynamic: vscode.StubConfigurationProvider;
const folder: vscode.StubWorkspaceFolder = { uri: vscode.Uri.file("/"), name: "ws", index: 0 };

beforeAll(() => {
  runBundleScript();
  const context = stubContext();
  buildDir = join(context.globalStorageUri.fsPath, "build");
  loadBundledExtension().activate(context);
  const find = (trigger: vscode.DebugConfigurationProviderTriggerKind): vscode.StubConfigurationProvider => {
    const p = vscode.state.providers.find((e) => e.type === "jitdbg" && e.trigger === trigger);
    if (!p) throw new Error(`no provider registered with trigger ${trigger}`);
    return p.provider;
  };
  initial = find(vscode.DebugConfigurationProviderTriggerKind.Initial);
  dynamic = find(vscode.DebugConfigurationProviderTriggerKind.Dynamic);
  dir = mkdtempSync(join(tmpdir(), "jitdbg-cfg-"));
  folder.uri = vscode.Uri.file(dir);
});

afterEach(() => vscode.state.reset());

function writeSource(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function openEditor(path: string, languageId: string, opts: { isDirty?: boolean; isUntitled?: boolean } = {}): ReturnType<typeof vscode.textDocument> {
  const document = vscode.textDocument(path, languageId, opts);
  vscode.state.activeTextEditor = { document };
  return document;
}

/** What VS Code does on F5: resolveDebugConfiguration, then the variables, then the second resolve. */
async function resolve(config: Partial<vscode.StubDebugConfiguration>, ws: vscode.StubWorkspaceFolder | undefined = folder): Promise<vscode.StubDebugConfiguration | undefined> {
  const first = await initial.resolveDebugConfiguration?.(ws, config);
  if (!first) return undefined;
  return (await initial.resolveDebugConfigurationWithSubstitutedVariables?.(ws, first)) ?? undefined;
}

function runNative(program: string, args: string[] = []): string {
  return execFileSync(program, args, { encoding: "utf8" });
}

function isStatic(program: string): boolean {
  // A static executable has no PT_INTERP program header (e_phoff at 0x20, e_phentsize 0x36, e_phnum 0x38).
  const b = readFileSync(program);
  const phoff = Number(b.readBigUInt64LE(0x20));
  const size = b.readUInt16LE(0x36);
  for (let i = 0; i < b.readUInt16LE(0x38); i++) if (b.readUInt32LE(phoff + i * size) === 3) return false;
  return true;
}

describe("provideDebugConfigurations", () => {
  it("the Initial provider adds none: launch.json gets the manifest's initialConfigurations once", () => {
    // VS Code writes contributes.debuggers[].initialConfigurations, then appends what Initial
    // providers return; both together wrote each configuration twice.
    expect(initial.provideDebugConfigurations).toBeUndefined();
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { contributes: { debuggers: { initialConfigurations: { name: string }[] }[] } };
    const names = pkg.contributes.debuggers[0]?.initialConfigurations.map((c) => c.name) ?? [];
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names).size).toBe(names.length);
  });

  it("offers the active C file as a dynamic configuration, and nothing for other files", async () => {
    const src = writeSource("dyn.c", HELLO);
    openEditor(src, "c");
    expect(await dynamic.provideDebugConfigurations?.(folder)).toEqual([
      { type: "jitdbg", request: "launch", name: "jitdbg: build and debug dyn.c", program: src, compilerFlags: [] },
    ]);
    openEditor(join(dir, "notes.txt"), "plaintext");
    expect(await dynamic.provideDebugConfigurations?.(folder)).toEqual([]);
  });
});

describe("F5 without launch.json", () => {
  it("builds the active C file with gcc -g -O0 -static and launches the result with defaults", async () => {
    const src = writeSource("hello.c", HELLO);
    openEditor(src, "c");
    const first = await initial.resolveDebugConfiguration?.(folder, {});
    expect(first).toMatchObject({ type: "jitdbg", request: "launch", name: "jitdbg: hello.c" });
    expect(first?.program).toBeUndefined();
    const config = await initial.resolveDebugConfigurationWithSubstitutedVariables?.(folder, first as vscode.StubDebugConfiguration);
    expect(vscode.state.errors).toEqual([]);
    const program = String(config?.program);
    expect(dirname(program)).toBe(buildDir);
    expect(existsSync(program)).toBe(true);
    expect(isStatic(program)).toBe(true);
    expect(runNative(program, ["x"])).toBe("hello from 2 args\n");
    expect(config).toMatchObject({ args: [], cwd: dir, stopOnEntry: false, reproducible: false, allowedPaths: [dir] });
  });

  it("keeps noDebug (Ctrl+F5) when it makes the configuration", async () => {
    openEditor(writeSource("nodebug.c", HELLO), "c");
    expect(await initial.resolveDebugConfiguration?.(folder, { noDebug: true })).toMatchObject({ type: "jitdbg", request: "launch", noDebug: true });
  });

  it("adds compilerFlags after the base flags, and saves a modified editor first", async () => {
    const src = writeSource("flags.c", HELLO);
    const doc = openEditor(src, "c", { isDirty: true });
    const config = await resolve({ type: "jitdbg", request: "launch", name: "flags", compilerFlags: ['-DGREETING="hi"', "-Wall"] });
    expect(vscode.state.errors).toEqual([]);
    expect(doc.saved).toBe(1);
    expect(runNative(String(config?.program))).toBe("hi from 1 args\n");
  });

  it("says what to do when the active file is not C, or nothing is open", async () => {
    openEditor(join(dir, "README.md"), "markdown");
    expect(await initial.resolveDebugConfiguration?.(folder, {})).toBeUndefined();
    expect(vscode.state.errors).toEqual(["jitdbg: nothing to debug: the active file README.md is not a C file. Open a .c file to build and debug it, or set \"program\" in launch.json."]);

    vscode.state.reset();
    expect(await resolve({ type: "jitdbg", request: "launch", name: "no program" })).toBeUndefined();
    expect(vscode.state.errors).toEqual([expect.stringContaining("no file is open")]);
  });

  it("shows the compiler's first error line when the C file does not compile", async () => {
    // Two errors; gcc first prints "In function 'main':", then line 3's error, then line 4's.
    const src = writeSource("broken.c", "int main(void) {\n  int x = 1\n  return x;\n  undeclared = 2;\n}\n");
    openEditor(src, "c");
    expect(await resolve({})).toBeUndefined();
    expect(vscode.state.errors).toHaveLength(1);
    expect(vscode.state.errors[0]).toMatch(/^jitdbg cannot build broken\.c \(2 errors in the Problems panel; the first: \S*broken\.c:3:\d+: error: expected .* before .return.\)$/);
  });

  it("puts every compiler error and warning in the Problems panel, and clears them once the file builds", async () => {
    const problems = vscode.state.problems.find((c) => c.name === "jitdbg");
    expect(problems).toBeDefined();
    const src = writeSource("problems.c", "int main(void) {\n  int x = 1\n  return x;\n  undeclared = 2;\n}\n");
    openEditor(src, "c");
    expect(await resolve({})).toBeUndefined();
    const listed = problems!.entries.get(src) ?? [];
    expect(listed.filter((d) => d.severity === vscode.DiagnosticSeverity.Error).map((d) => [d.range.start.line + 1, d.message])).toEqual([
      [3, expect.stringMatching(/expected .* before .return./)],
      [4, expect.stringMatching(/undeclared/)],
    ]);
    expect(listed.every((d) => d.source === "jitdbg (gcc)")).toBe(true);
    writeFileSync(src, "int main(void) {\n  int unused;\n  return 0;\n}\n");
    expect(await resolve({ type: "jitdbg", request: "launch", name: "warnings", program: src, compilerFlags: ["-Wall"] })).toBeDefined();
    expect([...(problems!.entries.get(src) ?? [])].map((d) => [d.severity, d.range.start.line + 1])).toEqual([[vscode.DiagnosticSeverity.Warning, 2]]);
    writeFileSync(src, "int main(void) {\n  return 0;\n}\n");
    expect(await resolve({})).toBeDefined();
    expect(problems!.entries.size).toBe(0);
  });

  it("shows the linker's complaint when a symbol is missing", async () => {
    const src = writeSource("unresolved.c", "int missing(void);\nint main(void) { return missing(); }\n");
    openEditor(src, "c");
    expect(await resolve({})).toBeUndefined();
    expect(vscode.state.errors[0]).toMatch(/^jitdbg cannot build unresolved\.c: .*undefined reference to [`']missing'/);
  });

  it("says when the compiler cannot be found", async () => {
    const src = writeSource("nocc.c", HELLO);
    openEditor(src, "c");
    vscode.state.settings.set("jitdbg.build.compiler", "/nonexistent/bin/gcc");
    expect(await resolve({})).toBeUndefined();
    expect(vscode.state.errors).toEqual([
      'jitdbg cannot build nocc.c: the C compiler "/nonexistent/bin/gcc" was not found. Install gcc (apt-get install gcc), or set jitdbg.build.compiler to its path.',
    ]);
  });

  it("asks to save an untitled editor first", async () => {
    openEditor("Untitled-1", "c", { isUntitled: true });
    expect(await resolve({})).toBeUndefined();
    expect(vscode.state.errors).toEqual([expect.stringMatching(/has never been saved/)]);
  });
});

describe("launch.json configurations", () => {
  it("fills defaults and makes a relative program absolute (no build)", async () => {
    const config = await resolve({ type: "jitdbg", request: "launch", name: "prog", program: "bin/prog" });
    expect(config).toEqual({ type: "jitdbg", request: "launch", name: "prog", program: join(dir, "bin/prog"), args: [], cwd: dir, stopOnEntry: false, reproducible: false });
  });

  it("keeps what the user set", async () => {
    const user = { type: "jitdbg", request: "launch", name: "u", program: "/p", args: ["a"], env: { A: "1" }, cwd: "/tmp", stopOnEntry: true, reproducible: true, stdin: { file: "/in" }, allowedPaths: ["/data"] };
    expect(await resolve(user)).toEqual(user);
  });

  it("builds a program given as a .c path, relative to the workspace folder", async () => {
    writeSource("prog.c", HELLO);
    const config = await resolve({ type: "jitdbg", request: "launch", name: "c path", program: "prog.c", args: ["1", "2"] });
    expect(vscode.state.errors).toEqual([]);
    expect(dirname(String(config?.program))).toBe(buildDir);
    expect(runNative(String(config?.program), ["1", "2"])).toBe("hello from 3 args\n");
  });

  it("builds ${file} (the first initial configuration) when the active editor is C, and refuses otherwise", async () => {
    const src = writeSource("active.c", HELLO);
    const doc = openEditor(src, "c", { isDirty: true });
    const first = await initial.resolveDebugConfiguration?.(folder, { type: "jitdbg", request: "launch", name: "f", program: "${file}" });
    expect(first?.program).toBe("${file}");
    // VS Code substitutes the variables between the two resolve calls.
    const config = await initial.resolveDebugConfigurationWithSubstitutedVariables?.(folder, { ...(first as vscode.StubDebugConfiguration), program: src });
    expect(vscode.state.errors).toEqual([]);
    expect(doc.saved).toBe(1);
    expect(runNative(String(config?.program))).toBe("hello from 1 args\n");

    openEditor(join(dir, "notes.txt"), "plaintext");
    expect(await initial.resolveDebugConfiguration?.(folder, { type: "jitdbg", request: "launch", name: "f", program: "${file}" })).toBeUndefined();
    expect(vscode.state.errors).toEqual([expect.stringContaining("the active file notes.txt is not a C file")]);
  });

  it("rejects attributes of the wrong type with the attribute's name", async () => {
    expect(await resolve({ type: "jitdbg", request: "launch", name: "bad", program: "/p", args: "a b" })).toBeUndefined();
    expect(vscode.state.errors).toEqual(['jitdbg launch configuration "bad": "args" must be an array of strings.']);
    vscode.state.reset();
    expect(await resolve({ type: "jitdbg", request: "launch", name: "bad", program: "/p", stdin: { path: "/x" } })).toBeUndefined();
    expect(vscode.state.errors).toEqual(['jitdbg launch configuration "bad": "stdin" must be text or { "file": path }.']);
  });
});
