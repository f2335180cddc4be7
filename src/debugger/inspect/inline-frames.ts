/**
 * gdb's rule for inlined calls at a stop: an inlined call whose code starts exactly at the stop pc
 * has "not started yet", so its virtual frame is hidden and the caller is shown at the call site —
 * unless the user's breakpoint for that very function is what stopped us.
 */
import { InlinedScope } from "../../dwarf/index.js";
import { scopeStartsAt } from "../run/code-locations.js";
import type { ImageInfo } from "../image-info.js";

/**
 * How many innermost inlined frames to hide at `pc`. `keep(scope)` is true for the inlined call
 * a breakpoint that caused this stop belongs to (its frame stays, and so do its callers).
 */
export function hiddenInlineFrames(image: ImageInfo | undefined, pc: bigint, keep: (scope: InlinedScope) => boolean): number {
  const at = image?.functionAt(pc);
  if (!at) return 0;
  const rel = pc - image!.bias;
  let hidden = 0;
  for (const s of at.scopes) {
    if (s.kind === "function") break;
    if (!(s instanceof InlinedScope)) continue; // lexical blocks: look further out
    if (!scopeStartsAt(s, rel) || keep(s)) break;
    hidden++;
  }
  return hidden;
}
