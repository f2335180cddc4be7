/**
 * JIT link time: a generated object of 3,000 small functions that call each other and index a
 * global array (gcc -O1, ~12,000 relocations), side by side with `llvm-rtdyld -execute
 * --show-times` on the same object, medians, as ratios, in two rows:
 *
 * - warm: jitdbg's linker in this process (load + resolve/relocate + finalize into the emulated
 *   inferior) after WARMUP links, as it runs in a long-lived debugger, against llvm-rtdyld's
 *   "load/add" + "link" phases;
 * - cold: a fresh `jitdbg rtdyld --show-times` process (bin/jitdbg.js, as a user runs it; the
 *   first run, which writes the V8 code cache, left out) against a fresh llvm-rtdyld process:
 *   the same phases as each prints them, file read included on both sides (llvm-rtdyld's
 *   load/add timer covers its read), and the whole process, spawn to exit.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { JitSession } from "../src/jit/session.js";
import { compileFixture, repoRoot } from "../fixtures/build.js";
import { spawnTimed } from "./tools.js";
import { fmt, median } from "./stats.js";

const FUNCTIONS = 3000;
const RUNS = 15;
const WARMUP = 20; // the linker lives in a long-running debugger: measure it warm, as V8 will have optimized it

/** C source: f_i reads arr[] twice and calls two earlier functions; main calls one cheap function. */
export function generateSource(n = FUNCTIONS): string {
  const lines = ["int arr[4096];", "int f0(int x) { return arr[x & 4095]; }"];
  for (let i = 1; i < n; i++) {
    const a = i - 1;
    const b = (i * 7919) % i;
    lines.push(`int f${i}(int x) { if (x > ${i}) return arr[(x + ${i}) & 4095]; return arr[(x * ${i % 13 + 1}) & 4095] + f${a}(x + 1) + f${b}(x ^ ${i & 15}); }`);
  }
  lines.push(`int main(void) { arr[5] = 40; return f0(5) + 2; }`);
  return `${lines.join("\n")}\n`;
}

function benchObject(): string {
  const dir = join(repoRoot, ".cache", "bench"); // generated, so never committed
  mkdirSync(dir, { recursive: true });
  const src = join(dir, "link-3000.c");
  writeFileSync(src, generateSource());
  return compileFixture(src, { cc: "gcc", object: true, flags: ["-O1"] });
}

function relocationCount(obj: string): number {
  const out = execFileSync("readelf", ["-rW", obj], { encoding: "utf8" });
  return out.split("\n").filter((l) => /R_X86_64_/.test(l)).length;
}

/** One in-process link; returns [load, relocate, finalize] in ms and the entry's result. */
function linkOnce(bytes: Uint8Array, seed: number): { phases: number[]; result: bigint } {
  const s = JitSession.create({ seed });
  try {
    const t0 = performance.now();
    s.linker.addObject(bytes, "link-3000.o");
    const t1 = performance.now();
    s.linker.relocate();
    const t2 = performance.now();
    s.linker.finalize();
    const t3 = performance.now();
    return { phases: [t1 - t0, t2 - t1, t3 - t2], result: s.call("main") };
  } finally {
    s.close();
  }
}

/** What each retention policy keeps after finalization, and the bytes that costs. */
function retention(bytes: Uint8Array): string {
  return (["all", "external", "none"] as const)
    .map((policy) => {
      const s = JitSession.create({ seed: 1, retention: policy });
      try {
        s.linker.addObject(bytes, "link-3000.o");
        s.linker.finalize();
        const r = s.linker.retainedRelocations();
        return `${policy}: ${r.count} (${(r.heapBytes / 1024).toFixed(1)} KiB)`;
      } finally {
        s.close();
      }
    })
    .join(", ");
}

function llvmRtdyld(): string | undefined {
  for (const exe of ["llvm-rtdyld", "llvm-rtdyld-14"]) if (spawnSync(exe, ["--version"]).status === 0) return exe;
  return undefined;
}

/** llvm-rtdyld's load and link phases (wall-clock, from its --show-times table) and the whole process, in ms. */
function rtdyldOnce(exe: string, obj: string): { ms: number; process: number; status: number } {
  const r = spawnTimed(exe, ["-execute", "--entry=main", "--show-times", obj]);
  const text = `${r.stdout}${r.stderr}`;
  let ms = 0;
  for (const phase of ["time to load/add object files", "time to link object files"]) {
    const line = text.split("\n").find((l) => l.includes(phase));
    if (!line) throw new Error(`llvm-rtdyld --show-times printed no "${phase}" line`);
    const cols = [...line.matchAll(/([\d.]+) \(\s*[\d.]+%\)/g)].map((m) => Number(m[1]));
    ms += cols[cols.length - 1]! * 1000; // the wall-time column
  }
  return { ms, process: r.ms, status: r.status };
}

/** A fresh `jitdbg rtdyld --show-times` process: its printed total (read + load + relocate + finalize) and the whole process, in ms. */
function jitdbgCold(obj: string): { ms: number; process: number; status: number } {
  const r = spawnTimed(process.execPath, [join(repoRoot, "bin", "jitdbg.js"), "rtdyld", "--show-times", obj]);
  const m = /rtdyld times: .*total ([\d.]+) ms/.exec(r.stderr);
  if (!m) throw new Error(`jitdbg rtdyld --show-times printed no times (exit ${r.status}): ${r.stderr.slice(0, 300)}`);
  return { ms: Number(m[1]), process: r.ms, status: r.status };
}

export async function benchLink(): Promise<string> {
  const obj = benchObject();
  const bytes = readFileSync(obj);
  const relocs = relocationCount(obj);
  for (let i = 0; i < WARMUP; i++) linkOnce(bytes, i);
  const ours: number[] = [];
  const phases: number[][] = [[], [], []];
  let result = 0n;
  for (let i = 0; i < RUNS; i++) {
    const r = linkOnce(bytes, 100 + i);
    r.phases.forEach((p, k) => phases[k]!.push(p));
    ours.push(r.phases.reduce((a, b) => a + b, 0));
    result = r.result;
  }
  const o = median(ours);
  const lines = [
    `link: ${FUNCTIONS} functions, ${relocs} relocations (gcc -O1), median of ${RUNS} runs`,
    `  jitdbg in-process   ${fmt(o)} ms   (min ${fmt(Math.min(...ours))}; load ${fmt(median(phases[0]!))}, resolve+relocate ${fmt(median(phases[1]!))}, finalize ${fmt(median(phases[2]!))}); main returned ${result}`,
  ];
  lines.push(`  kept relocations    ${retention(bytes)}`);
  const exe = llvmRtdyld();
  if (!exe) {
    lines.push("  llvm-rtdyld         not installed (apt-get install llvm); no ratio");
    return lines.join("\n");
  }
  // Cold: fresh processes, the two tools alternating so both see the same machine load.
  jitdbgCold(obj); // writes the code cache of this build (bin/run-cached.js), as an installation's first run does
  const theirs: number[] = [];
  const coldOurs: number[] = [];
  const procOurs: number[] = [];
  const procTheirs: number[] = [];
  let status = 0;
  let coldStatus = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = rtdyldOnce(exe, obj);
    theirs.push(r.ms);
    procTheirs.push(r.process);
    status = r.status;
    const c = jitdbgCold(obj);
    coldOurs.push(c.ms);
    procOurs.push(c.process);
    coldStatus = c.status;
  }
  const t = median(theirs);
  const c = median(coldOurs);
  const po = median(procOurs);
  const pt = median(procTheirs);
  lines.push(`  llvm-rtdyld         ${fmt(t)} ms   (min ${fmt(Math.min(...theirs))}; load/add + link phases of --show-times, a fresh process each); exit status ${status}`);
  lines.push(`  warm ratio          ${(o / t).toFixed(2)}x llvm-rtdyld (jitdbg in-process after ${WARMUP} links vs llvm-rtdyld's phases; goal <= 0.5x)`);
  lines.push(`  cold                jitdbg rtdyld, fresh process: phases (read+load+relocate+finalize) ${fmt(c)} ms, whole process ${fmt(po)} ms; exit status ${coldStatus}`);
  lines.push(`                      llvm-rtdyld, fresh process:   phases (load/add+link) ${fmt(t)} ms, whole process ${fmt(pt)} ms`);
  lines.push(`  cold ratio          phases ${(c / t).toFixed(2)}x, whole process ${(po / pt).toFixed(2)}x llvm-rtdyld (goal <= 1x)`);
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchLink());
