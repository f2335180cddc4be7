/**
 * gdb's rule for inlined calls at a stop: an inlined call whose code starts exactly at the stop pc
 * has "not started yet", so its virtual frame is hidden and the caller is shown at the call site —
 * unless the user's breakpoint for that very function is what stopped us.
 */
import { InlinedScope } from "../dwarf/index.js";
import { scopeStartsAt } from "./code-locations.js";
import type { ImageInfo } from "./image-info.js";

/**
 * How many innermost inlined frames to hide at `pc`. `keep(name)` is true for an inlined
 * function whose breakpoint caused this stop (its frame stays, and so do its callers).
 */
export function hiddenInlineFrames(image: ImageInfo | undefined, pc: bigint, keep: (name: string) => boolean): number {
  const at = image?.functionAt(pc);
  if (!at) return 0;
  const rel = pc - image!.bias;
  let hidden = 0;
  for (const s of at.scopes) {
    if (s.kind === "function") break;
    if (!(s instanceof InlinedScope)) continue; // lexical blocks: look further out
    if (!scopeStartsAt(s, rel) || keep(s.name)) break;
    hidden++;
  }
  return hidden;
}
