/**
 * The dynamic loader a program's PT_INTERP names (ld-linux-x86-64.so.2): found on the host or in
 * a sysroot, mapped at its own base (random; top of the mmap area when reproducible) as the
 * kernel's binfmt_elf does, plus the file paths it will need to read, which the inferior's file
 * view must allow.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { isHostError, JitdbgError } from "../errors.js";
import * as C from "../elf/constants.js";
import { dynamicInfo } from "../elf/dynamic.js";
import { ElfFile } from "../elf/reader.js";
import type { AddressSpace } from "./address-space.js";
import { canonicalInRoot } from "./file-view.js";
import { isX8664Libc6, ldCacheDirectories, parseLdCache } from "./ld-cache.js";
import { mapImage, type LoadedImage } from "./loader.js";

export const LD_SO_CACHE = "/etc/ld.so.cache";

export interface Interpreter {
  image: LoadedImage;
  /** Where we read it from on the host (inside the sysroot when there is one). */
  hostPath: string;
  /** Its canonical path as the inferior sees it (symbolic links resolved). */
  guestPath: string;
}

/** Where a guest absolute path lives on the host, or undefined when it does not exist. */
function locate(path: string, sysroot: string | undefined): { host: string; guest: string } | undefined {
  const guest = canonicalInRoot(sysroot ?? "/", path);
  if (guest === undefined) return undefined;
  return { host: sysroot ? join(sysroot, guest) : guest, guest };
}

export function loadInterpreter(space: AddressSpace, programPath: string, interp: string, sysroot?: string): Interpreter {
  const where = sysroot ? `${sysroot} (the sysroot)` : "the host";
  const found = locate(interp, sysroot);
  if (!found) {
    throw new JitdbgError(
      "LOAD_NO_INTERPRETER",
      { file: programPath },
      `needs the dynamic loader ${interp}, which does not exist on ${where} (looked for ${sysroot ? join(sysroot, interp) : interp}); install the C library that provides it, pass a sysroot that has it, or rebuild the program with -static`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(found.host);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new JitdbgError("LOAD_BAD_INTERPRETER", { file: programPath }, `its dynamic loader ${interp} (${found.host}) cannot be read (${code})`);
  }
  const file = ElfFile.parse(bytes, found.host);
  if (file.header.type !== C.ET_DYN) {
    throw new JitdbgError("LOAD_BAD_INTERPRETER", { file: programPath }, `its dynamic loader ${found.host} is not a shared object (ELF type ${file.header.type}); the PT_INTERP path must name ld-linux-x86-64.so.2`);
  }
  if (file.interpreter() !== undefined) {
    throw new JitdbgError("LOAD_BAD_INTERPRETER", { file: programPath }, `its dynamic loader ${found.host} itself asks for an interpreter, which Linux refuses`);
  }
  const image = mapImage(space, file, interp, { anywhere: true });
  return { image, hostPath: found.host, guestPath: found.guest };
}

/** What ld.so.cache names: its library directories and the libraries' own paths. */
interface CacheContents {
  directories: string[];
  libraries: string[];
}

const NOTHING_CACHED: CacheContents = { directories: [], libraries: [] };

/** What each ld.so.cache read names, by file and its identity now (a launch, a restart, a child's exec read it again). */
const cachesRead = new Map<string, { identity: string; contents: CacheContents }>();

/** What /etc/ld.so.cache (at `host`) names; nothing when it cannot be read or parsed (said once through `warn`). */
function cacheContents(host: string, warn: (message: string) => void): CacheContents {
  const st = statSync(host, { throwIfNoEntry: false });
  const identity = st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}` : "";
  const known = cachesRead.get(host);
  if (known && known.identity === identity && identity !== "") return known.contents;
  // A cache we cannot parse only narrows what is allowed: the loader then reports what it misses.
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(host);
  } catch (e) {
    if (!isHostError(e)) throw e;
    return NOTHING_CACHED;
  }
  let contents: CacheContents;
  try {
    const entries = parseLdCache(bytes, host).filter(isX8664Libc6);
    contents = { directories: ldCacheDirectories(entries), libraries: entries.map((e) => e.path) };
  } catch (e) {
    if (!(e instanceof JitdbgError)) throw e;
    warn(`${e.message} (libraries outside the loader's own directory will not be found)`);
    return NOTHING_CACHED;
  }
  cachesRead.set(host, { identity, contents });
  return contents;
}

/**
 * Guest paths the loader reads for this program: its own directory, /etc/ld.so.cache and the
 * library directories it names, the program's DT_RUNPATH/DT_RPATH directories and LD_LIBRARY_PATH.
 * `origin` lists $ORIGIN-relative directories (host paths next to the program); `libraries`, the
 * files ld.so.cache names (which may be links out of its directories).
 */
export function loaderSearchPaths(
  program: ElfFile,
  programPath: string,
  interp: Interpreter,
  env: readonly string[],
  sysroot: string | undefined,
  warn: (message: string) => void,
): { system: string[]; origin: string[]; libraries: string[] } {
  const system = new Set<string>([dirname(interp.guestPath), dirname(interp.image.path), LD_SO_CACHE]);
  const cache = locate(LD_SO_CACHE, sysroot);
  const cached = cache ? cacheContents(cache.host, warn) : NOTHING_CACHED;
  for (const d of cached.directories) system.add(d);
  const origin: string[] = [];
  const info = dynamicInfo(program);
  const libPath = env.find((e) => e.startsWith("LD_LIBRARY_PATH="))?.slice("LD_LIBRARY_PATH=".length) ?? "";
  for (const dir of [...info.runpath, ...info.rpath, ...libPath.split(/[:;]/)]) {
    if (dir === "") continue;
    if (dir.includes("$ORIGIN") || dir.includes("${ORIGIN}")) origin.push(dir.replace(/\$\{?ORIGIN\}?/g, dirname(programPath)));
    else if (dir.startsWith("/")) system.add(dir);
  }
  return { system: [...system], origin, libraries: cached.libraries };
}
