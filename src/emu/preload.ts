/**
 * Starts loading the emulator library on a libuv worker thread, so that its dlopen overlaps what
 * runs before the first emulated CPU is made (a bundle's load and top level: ~35 ms for the
 * adapter) instead of adding to it. libunicorn.so.2 is 19 MB with ~23,000 symbol relocations
 * bound at load (BIND_NOW): 5-7 ms of bare dlopen on this machine, 8.6-11 ms of the adapter's
 * koffi.load at launch, its largest single step. The dynamic loader's own lock orders this load
 * and the one unicorn.ts makes later, which then finds the library in place (~0.15 ms). Nothing
 * waits for or depends on the preload: where the library is missing or the preload fails, that
 * later load reports it as it always does.
 */
import { foundUnicorn } from "./locate.js";
import { openLibraryInBackground } from "./native-page.js";

let started = false;

export function preloadEmulator(): void {
  if (started) return;
  started = true;
  try {
    const path = foundUnicorn();
    if (path === undefined) return;
    // Kept open: the emulator's own handle shares the loaded library, which never unloads between the two.
    openLibraryInBackground(path);
  } catch {
    // Only an optimization: the emulator's load says what is wrong, where it matters.
  }
}
