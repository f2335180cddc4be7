/**
 * Every thread's call stack as text, gdb's `thread apply all bt` for a process with no debugger
 * session around it (`jitdbg run` reports a deadlock with it). Looking at a thread does not change
 * how the program runs on (Process.focusThread).
 */
import type { Process, ThreadInfo } from "../../inferior/process.js";
import { ImageInfo } from "../image-info.js";
import { unwindStack, type Frame } from "./stack.js";

/** At most this many frames per thread: a deadlock report is read by a person. */
const MAX_FRAMES = 32;

export function threadBacktraces(launched: Process): string {
  const process = launched.current; // the program it runs now (it may have executed another)
  const images = process.images.list().map((i) => new ImageInfo(i));
  const out: string[] = [];
  for (const { thread: t, frames } of threadStacks(process, images, MAX_FRAMES)) {
    out.push(`thread ${t.tid}${t.name ? ` "${t.name}"` : ""}${t.waiting ? ` waits on ${t.waiting}` : ""}:`);
    for (const f of frames) out.push(`  #${f.index}  ${describeFrame(f)}`);
  }
  return out.join("\n");
}

/**
 * Every thread's innermost `maxFrames` frames (`pcsOnly`: physical frames without names or lines);
 * the thread the CPU shows stays the one it was.
 */
export function threadStacks(process: Process, images: readonly ImageInfo[], maxFrames: number, opts: { pcsOnly?: boolean } = {}): { thread: ThreadInfo; frames: Frame[] }[] {
  const imageFor = (pc: bigint) => images.find((i) => i.contains(pc));
  const before = process.currentThread;
  const out: { thread: ThreadInfo; frames: Frame[] }[] = [];
  try {
    for (const t of process.threads()) {
      process.focusThread(t.tid);
      out.push({ thread: t, frames: unwindStack({ cpu: process.cpu, imageFor, maxFrames, pcsOnly: opts.pcsOnly }) });
    }
  } finally {
    process.focusThread(before);
  }
  return out;
}

function describeFrame(f: Frame): string {
  const name = f.functionName ?? `0x${f.pc.toString(16)}`;
  const where = f.source ? ` at ${f.source.file.split("/").pop()}:${f.source.line}` : f.image ? ` in ${f.image.path.split("/").pop()}` : "";
  return `${f.unwoundBy === "inline" ? "[inlined] " : ""}${name}${where}`;
}
