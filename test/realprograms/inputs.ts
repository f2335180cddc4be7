/**
 * The corpus's inputs, generated at test time from fixed generators (never committed): 200 KiB
 * of text, a small directory tree with a symbolic link, an SQL script, bc and jq inputs, and
 * the text compressed by the native gzip, xz and bzip2 and a tar archive (inputs for the
 * decompressing and listing cases).
 */
import { spawnSync } from "node:child_process";
import { existsSync, lutimesSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../helpers/compile.js";

/** Where the inputs live; the cases run with it as their working directory. */
export const WORK = join(repoRoot, ".cache", "realprograms");

/** A 32-bit xorshift generator: the same bytes on every machine. */
function generator(seed: number): () => number {
  let x = seed;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
}

/** Lines of words and numbers, `bytes` long or a little more: sortable, compressible, not trivially. */
function text(bytes: number, seed: number): string {
  const next = generator(seed);
  const words = Array.from({ length: 1200 }, () => Array.from({ length: 2 + (next() % 8) }, () => String.fromCharCode(97 + (next() % 26))).join(""));
  const lines: string[] = [];
  for (let n = 0; n < bytes; ) {
    const line = `${Array.from({ length: 2 + (next() % 10) }, () => words[next() % words.length]).join(" ")} ${next() % 100000}\n`;
    lines.push(line);
    n += line.length;
  }
  return lines.join("");
}

const SQL = `create table t(id integer primary key, word text, n integer);
with recursive c(x) as (select 1 union all select x + 1 from c where x < 5000)
  insert into t select x, printf('w%04d', (x * 7919) % 5000), (x * x) % 1009 from c;
create index t_n on t(n);
select count(*), sum(n), min(word), max(word) from t;
select n, count(*) from t group by n order by count(*) desc, n limit 5;
select group_concat(id, ',') from (select id from t where n = 17 order by id);
.mode csv
.headers on
select * from t where id % 1000 = 0;
`;

/** One directory a case may list, archive or search: files, a subdirectory, an empty one, a link. */
function tree(root: string): void {
  mkdirSync(join(root, "src", "lib"), { recursive: true });
  mkdirSync(join(root, "empty"), { recursive: true });
  writeFileSync(join(root, "README"), "a tree for the corpus\n");
  writeFileSync(join(root, "src", "main.c"), "int main(void) { return 0; }\n");
  writeFileSync(join(root, "src", "lib", "util.c"), text(3000, 7));
  writeFileSync(join(root, "src", "lib", "notes.txt"), text(500, 8));
  symlinkSync("main.c", join(root, "src", "link-to-main"));
  // Fixed times, so that listings and archives carry the same ones on every machine.
  for (const p of ["README", "src/main.c", "src/lib/util.c", "src/lib/notes.txt", "src/lib", "empty", "src", "."]) utimesSync(join(root, p), 1700000000, 1700000000);
  lutimesSync(join(root, "src", "link-to-main"), 1700000000, 1700000000);
}

function nativeOutput(argv: string[], input: string, out: string): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: WORK, input: readFileSync(join(WORK, input)), maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed natively (${r.status}): ${r.stderr}`);
  writeFileSync(join(WORK, out), r.stdout);
}

/** Makes WORK's inputs once (a marker file says they are complete). */
export function prepareInputs(): string {
  const done = join(WORK, ".complete-v2");
  if (existsSync(done)) return WORK;
  const building = `${WORK}.tmp${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  writeFileSync(join(building, "text.txt"), text(200 * 1024, 0x2545f491));
  writeFileSync(join(building, "small.txt"), text(2000, 42));
  writeFileSync(join(building, "script.sql"), SQL);
  writeFileSync(join(building, "math.bc"), "scale=40; 4*a(1); e(1); sqrt(2); 2^200; obase=16; 2^64-1\n");
  writeFileSync(join(building, "data.json"), JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item${i}`, tags: i % 3 ? ["odd"] : ["three", "x"], price: (i * 37) % 101 })) }));
  // A C program and the makefile that builds it with gcc and runs it (the toolchain cases).
  writeFileSync(join(building, "prog.c"), '#include <stdio.h>\nint main(void) {\n  unsigned long h = 5381;\n  for (int c; (c = getchar()) != EOF;) h = h * 33 + (unsigned char)c;\n  printf("djb2 %lx\\n", h);\n  return 0;\n}\n');
  writeFileSync(join(building, "build.mk"), "prog: prog.c\n\tgcc -O2 -o $@ $<\n\t./prog < small.txt\n\techo built\n");
  tree(join(building, "tree"));
  rmSync(WORK, { recursive: true, force: true });
  renameSync(building, WORK);
  nativeOutput(["gzip", "-9", "-c"], "text.txt", "text.txt.gz");
  nativeOutput(["xz", "-6", "-c"], "text.txt", "text.txt.xz");
  nativeOutput(["bzip2", "-9", "-c"], "text.txt", "text.txt.bz2");
  // An archive of the tree without its link, names and times fixed (GNU tar), for the listing cases.
  nativeOutput(["tar", "--sort=name", "--owner=root:0", "--group=root:0", "--mtime=@1700000000", "-cf", "-", "tree/src/lib", "tree/README"], "small.txt", "tree.tar");
  writeFileSync(done, "");
  return WORK;
}
