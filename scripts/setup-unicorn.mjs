#!/usr/bin/env node
// Makes libunicorn.so.2 available to jitdbg without needing it installed system-wide:
// if neither JITDBG_UNICORN_LIB nor a system copy exists, extract Debian's libunicorn2 package
// into vendor/unicorn (apt-get download + dpkg-deb -x; no root needed once apt's lists exist).
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendorDir = join(root, "vendor", "unicorn");
const vendorLib = join(vendorDir, "usr", "lib", "x86_64-linux-gnu", "libunicorn.so.2");
const systemLibs = ["/usr/lib/x86_64-linux-gnu/libunicorn.so.2", "/usr/lib/libunicorn.so.2", "/usr/local/lib/libunicorn.so.2"];

function found() {
  const env = process.env.JITDBG_UNICORN_LIB;
  if (env && existsSync(env)) return env;
  if (existsSync(vendorLib)) return vendorLib;
  return systemLibs.find((p) => existsSync(p));
}

function run(cmd, args, cwd) {
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

function download(tmp) {
  try {
    run("apt-get", ["download", "libunicorn2"], tmp);
  } catch (first) {
    // A fresh machine may have no package lists yet; refresh them when we are allowed to.
    if (typeof process.getuid === "function" && process.getuid() === 0) {
      run("apt-get", ["update", "-qq"], tmp);
      run("apt-get", ["download", "libunicorn2"], tmp);
    } else {
      throw first;
    }
  }
}

const existing = found();
if (existing) {
  console.log(`jitdbg: using Unicorn at ${existing}`);
} else {
  const tmp = join(root, "vendor", ".download");
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    download(tmp);
    const deb = readdirSync(tmp).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error("apt-get download produced no .deb");
    run("dpkg-deb", ["-x", join(tmp, deb), vendorDir], tmp);
    console.log(`jitdbg: extracted Unicorn to ${vendorLib}`);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
    console.warn(`jitdbg: could not fetch libunicorn2 (${msg}).`);
    console.warn("jitdbg: install it with `apt-get install libunicorn2`, or set JITDBG_UNICORN_LIB to libunicorn.so.2.");
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
