/**
 * Builds one C file into a static x86-64 executable for debugging: `<cc> -g -O0 -static
 * <flags> -o <out> <file>`. Knows nothing of VS Code so tests can call it directly; failures come
 * back as a BuildError whose message is ready to show the user (with the compiler's first error).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, extname, join, resolve } from "node:path";

export const BASE_FLAGS = ["-g", "-O0", "-static"] as const;

export type BuildErrorCode = "NOT_C_FILE" | "COMPILER_MISSING" | "COMPILE_FAILED";

/** One diagnostic line of gcc/clang ("file.c:3:5: error: …"), for the Problems panel. */
export interface CompilerDiagnostic {
  file: string;
  /** 1-based, as the compiler prints them. */
  line: number;
  column: number;
  severity: "error" | "warning" | "note";
  message: string;
}

export class BuildError extends Error {
  constructor(
    readonly code: BuildErrorCode,
    message: string,
    /** What the compiler said, line by line, when it ran. */
    readonly diagnostics: CompilerDiagnostic[] = [],
  ) {
    super(message);
    this.name = "BuildError";
  }
}

export interface BuildRequest {
  /** Absolute path of the .c file. */
  source: string;
  /** The compiler command (default gcc). */
  compiler?: string;
  /** User flags, added after -g -O0 -static. */
  flags?: readonly string[];
  /** Directory for the executable (default: <tmp>/jitdbg-build). */
  outDir?: string;
}

export interface BuildResult {
  program: string;
  command: string[];
  /** The warnings (and notes) of a build that succeeded. */
  diagnostics: CompilerDiagnostic[];
}

const DIAGNOSTIC = /^(.+?):(\d+):(?:(\d+):)? (fatal error|error|warning|note): (.*)$/;

/** The compiler's diagnostics, paths made absolute against `cwd` (the compiler's working directory). */
export function parseDiagnostics(output: string, cwd: string): CompilerDiagnostic[] {
  const out: CompilerDiagnostic[] = [];
  for (const line of output.split(/\r?\n/)) {
    const m = DIAGNOSTIC.exec(line);
    if (!m) continue;
    const kind = m[4]!;
    out.push({ file: resolve(cwd, m[1]!), line: Number(m[2]), column: Number(m[3] ?? 1), severity: kind === "note" ? "note" : kind === "warning" ? "warning" : "error", message: m[5]! });
  }
  return out;
}

export function isCSource(path: string): boolean {
  return extname(path).toLowerCase() === ".c";
}

/** Where the executable for `source` goes: one stable name per source path, so rebuilds overwrite. */
export function outputPath(source: string, outDir: string): string {
  const tag = createHash("sha256").update(source).digest("hex").slice(0, 10);
  return join(outDir, `${basename(source, extname(source))}-${tag}`);
}

/**
 * The line of compiler output worth showing: the first diagnostic error ("file.c:3:5: error: …"),
 * else the first linker complaint (undefined reference…), else any line saying error, else the first.
 */
export function firstErrorLine(output: string): string {
  const lines = output.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
  // collect2's "error: ld returned 1 exit status" only says that the line before it matters.
  const pick = (re: RegExp): string | undefined => lines.find((l) => re.test(l) && !l.startsWith("collect2"));
  return (
    pick(/:\s*(fatal )?error:/i) ??
    pick(/undefined reference|multiple definition|cannot find -l/i) ??
    pick(/\berror\b/i) ??
    lines[0] ??
    "(the compiler printed nothing)"
  );
}

export async function buildCFile(req: BuildRequest): Promise<BuildResult> {
  const { source } = req;
  if (!isCSource(source)) {
    throw new BuildError("NOT_C_FILE", `jitdbg can only build C files (*.c), and ${basename(source)} is not one. Open a .c file, or set "program" in launch.json to an executable.`);
  }
  const compiler = req.compiler ?? "gcc";
  const outDir = req.outDir ?? join(tmpdir(), "jitdbg-build");
  mkdirSync(outDir, { recursive: true });
  const program = outputPath(source, outDir);
  const args = [...BASE_FLAGS, ...(req.flags ?? []), "-o", program, source];
  const { code, output, spawnError } = await run(compiler, args);
  if (spawnError !== undefined) {
    const missing = spawnError.code === "ENOENT";
    throw new BuildError(
      "COMPILER_MISSING",
      missing
        ? `jitdbg cannot build ${basename(source)}: the C compiler "${compiler}" was not found. Install gcc (apt-get install gcc), or set jitdbg.build.compiler to its path.`
        : `jitdbg cannot build ${basename(source)}: running "${compiler}" failed (${spawnError.message}).`,
    );
  }
  const diagnostics = parseDiagnostics(output, process.cwd());
  if (code !== 0) {
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    // The Problems panel lists them all (configuration-provider.ts); the message says so, with the first.
    const listed = errors > 1 ? ` (${errors} errors in the Problems panel; the first: ${firstErrorLine(output)})` : errors === 1 ? ` (in the Problems panel): ${firstErrorLine(output)}` : `: ${firstErrorLine(output)}`;
    throw new BuildError("COMPILE_FAILED", `jitdbg cannot build ${basename(source)}${listed}`, diagnostics);
  }
  return { program, command: [compiler, ...args], diagnostics };
}

interface RunResult {
  code: number | null;
  output: string;
  spawnError?: NodeJS.ErrnoException;
}

function run(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.on("error", (err: NodeJS.ErrnoException) => resolve({ code: null, output, spawnError: err }));
    child.on("close", (code) => resolve({ code, output }));
  });
}
