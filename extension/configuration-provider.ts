/**
 * Fills in jitdbg launch configurations. With no launch.json (F5 on a C file) it debugs the active
 * C file; a configuration without "program" (or whose program is a .c file) is built first with
 * gcc -g -O0 -static plus compilerFlags. Problems are shown with showErrorMessage and the launch is
 * cancelled (undefined), never thrown at the user as a stack trace.
 */
import { dirname, isAbsolute, join, resolve } from "node:path";
import * as vscode from "vscode";
import { BuildError, buildCFile, type CompilerDiagnostic, isCSource } from "./build-c.js";
import { DEBUG_TYPE, type JitdbgLaunchConfiguration } from "./launch-config.js";

export class JitdbgConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(
    private readonly buildDir: string,
    /** The Problems panel's entries of jitdbg's builds: the last build's errors and warnings, per file. */
    private readonly problems?: vscode.DiagnosticCollection,
  ) {}

  private showProblems(diagnostics: readonly CompilerDiagnostic[]): void {
    if (!this.problems) return;
    this.problems.clear();
    this.problems.set(problemsOf(diagnostics));
  }

  // No provideDebugConfigurations: "create a launch.json file" writes the manifest's
  // initialConfigurations followed by what Initial providers give, so offering them here too
  // wrote every configuration twice.

  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: JitdbgLaunchConfiguration): JitdbgLaunchConfiguration | undefined {
    if (!config.type && !config.request && !config.name) {
      // No launch.json: debug the C file in the active editor.
      const doc = activeCDocument();
      if (!doc) {
        void vscode.window.showErrorMessage(noCFileMessage());
        return undefined;
      }
      // Keep what VS Code passed (e.g. noDebug for Ctrl+F5).
      return { ...config, type: DEBUG_TYPE, request: "launch", name: `jitdbg: ${baseName(doc.fileName)}`, stopOnEntry: false, compilerFlags: [] };
    }
    if (typeof config.program === "string" && config.program.includes("${file}") && !activeCDocument()) {
      // "${file}" would become whatever is open; say so now rather than launch a text file.
      void vscode.window.showErrorMessage(noCFileMessage());
      return undefined;
    }
    return { ...config, type: config.type || DEBUG_TYPE, request: config.request || "launch", name: config.name || "jitdbg" };
  }

  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    config: JitdbgLaunchConfiguration,
  ): Promise<JitdbgLaunchConfiguration | undefined> {
    const problem = checkTypes(config);
    if (problem) {
      void vscode.window.showErrorMessage(`jitdbg launch configuration "${config.name}": ${problem}`);
      return undefined;
    }
    const base = folder?.uri.fsPath;
    let source: string | undefined;
    if (!config.program) {
      const doc = activeCDocument();
      if (!doc) {
        void vscode.window.showErrorMessage(noCFileMessage());
        return undefined;
      }
      source = doc.fileName;
    } else if (isCSource(config.program)) {
      source = absolute(config.program, base);
    }

    const out: JitdbgLaunchConfiguration = { ...config };
    if (source !== undefined) {
      const unsaved = await saveIfOpen(source);
      if (unsaved) {
        void vscode.window.showErrorMessage(unsaved);
        return undefined;
      }
      try {
        const compiler = vscode.workspace.getConfiguration("jitdbg", folder).get<string>("build.compiler") || "gcc";
        const built = await buildCFile({ source, compiler, flags: config.compilerFlags ?? [], outDir: this.buildDir });
        this.showProblems(built.diagnostics);
        out.program = built.program;
      } catch (err) {
        if (err instanceof BuildError) this.showProblems(err.diagnostics);
        void vscode.window.showErrorMessage(err instanceof BuildError ? err.message : `jitdbg cannot build ${source}: ${String(err)}`);
        return undefined;
      }
    } else if (out.program !== undefined) {
      out.program = absolute(out.program, base);
    }
    const sourceDir = source !== undefined ? dirname(source) : undefined;
    out.cwd = out.cwd ? absolute(out.cwd, base) : (base ?? sourceDir ?? dirname(out.program ?? "."));
    out.args ??= [];
    out.stopOnEntry ??= false;
    out.reproducible ??= false;
    // A program built into the build directory still reads its data from next to its source.
    if (out.allowedPaths === undefined && sourceDir !== undefined) out.allowedPaths = unique([sourceDir, out.cwd]);
    return out;
  }
}

/** The Problems panel's entries of jitdbg's build, replacing the last build's. */
function problemsOf(diagnostics: readonly CompilerDiagnostic[]): [vscode.Uri, vscode.Diagnostic[]][] {
  const byFile = new Map<string, vscode.Diagnostic[]>();
  for (const d of diagnostics) {
    const at = new vscode.Position(Math.max(0, d.line - 1), Math.max(0, d.column - 1));
    const severity = d.severity === "error" ? vscode.DiagnosticSeverity.Error : d.severity === "warning" ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information;
    const diagnostic = new vscode.Diagnostic(new vscode.Range(at, at), d.message, severity);
    diagnostic.source = "jitdbg (gcc)";
    byFile.set(d.file, [...(byFile.get(d.file) ?? []), diagnostic]);
  }
  return [...byFile].map(([file, list]) => [vscode.Uri.file(file), list]);
}

/** Offers "build and debug <file>.c" for the active C file in the Run and Debug picker. */
export class JitdbgDynamicConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): JitdbgLaunchConfiguration[] {
    const doc = activeCDocument();
    if (!doc || doc.isUntitled) return [];
    return [{ type: DEBUG_TYPE, request: "launch", name: `jitdbg: build and debug ${baseName(doc.fileName)}`, program: doc.fileName, compilerFlags: [] }];
  }
}

function activeCDocument(): vscode.TextDocument | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc) return undefined;
  return doc.languageId === "c" || isCSource(doc.fileName) ? doc : undefined;
}

/** Saves the active editor's document when it is `source` with changes; says why it cannot. */
async function saveIfOpen(source: string): Promise<string | undefined> {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc || doc.fileName !== source) return undefined;
  if (doc.isUntitled) return `jitdbg cannot build ${doc.fileName}: it has never been saved. Save it as a .c file first.`;
  if (doc.isDirty && !(await doc.save())) return `jitdbg cannot build ${doc.fileName}: saving it failed.`;
  return undefined;
}

function noCFileMessage(): string {
  const doc = vscode.window.activeTextEditor?.document;
  const what = doc ? `the active file ${baseName(doc.fileName)} is not a C file` : "no file is open";
  return `jitdbg: nothing to debug: ${what}. Open a .c file to build and debug it, or set "program" in launch.json.`;
}

/** Says what is wrong with attribute types that would otherwise fail deep inside the adapter. */
function checkTypes(c: JitdbgLaunchConfiguration): string | undefined {
  const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === "string");
  if (c.program !== undefined && typeof c.program !== "string") return `"program" must be a path (a string).`;
  if (c.args !== undefined && !isStrings(c.args)) return `"args" must be an array of strings.`;
  if (c.allowedPaths !== undefined && !isStrings(c.allowedPaths)) return `"allowedPaths" must be an array of strings.`;
  if (c.allowWrite !== undefined && !isStrings(c.allowWrite)) return `"allowWrite" must be an array of directory paths.`;
  if (c.scratch !== undefined && typeof c.scratch !== "string") return `"scratch" must be a directory path (a string).`;
  if (c.compilerFlags !== undefined && !isStrings(c.compilerFlags)) return `"compilerFlags" must be an array of strings.`;
  if (c.env !== undefined && (typeof c.env !== "object" || c.env === null || Array.isArray(c.env) || !Object.values(c.env).every((v) => typeof v === "string"))) {
    return `"env" must be an object of NAME: "value" strings.`;
  }
  const stdin: unknown = c.stdin;
  if (stdin !== undefined && typeof stdin !== "string" && !(typeof stdin === "object" && stdin !== null && typeof (stdin as { file?: unknown }).file === "string")) {
    return `"stdin" must be text or { "file": path }.`;
  }
  return undefined;
}

function absolute(p: string, base: string | undefined): string {
  return isAbsolute(p) ? p : base !== undefined ? join(base, p) : resolve(p);
}

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
