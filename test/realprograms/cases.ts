/**
 * The corpus: real programs from Debian's archive, as a user would run them, each compared with
 * its native run (run.ts). Inputs are the files inputs.ts makes in the working directory. A case
 * that does not match yet says why in `fails` (the test expects it to fail, so it flips when fixed).
 */

export interface Case {
  /** The test's name. */
  name: string;
  /** The Debian package that provides the program (README's test command installs it). */
  pkg: string;
  /** The program (an absolute path) and its arguments. */
  argv: string[];
  /** A file of the working directory piped to stdin (default: nothing). */
  stdin?: string;
  /** More host paths the program reads (its libraries' data, an interpreter's modules). */
  allow?: string[];
  /** It writes in its working directory (given with --allow-write): each run gets a fresh copy, compared afterwards. */
  writes?: boolean;
  /** Why it does not match natively yet. */
  fails?: string;
}

const BB = "/bin/busybox";
const PY = "/usr/bin/python3";
const PY_LIBS = ["/usr/lib/python3.11", "/usr/lib/python3", "/usr/local/lib/python3.11"];
/** What gcc reads besides its programs and libraries: headers, its own directory, its messages. */
const GCC_READS = ["/usr/include", "/usr/local/include", "/usr/lib/gcc", "/usr/share/locale"];

/** Why a case does not match natively yet (README "Real programs" lists them). */

const busybox = (name: string, args: string[], more: Partial<Case> = {}): Case => ({ name: `busybox ${name}`, pkg: "busybox-static", argv: [BB, ...args], ...more });
const sh = (name: string, script: string, more: Partial<Case> = {}): Case => busybox(`sh: ${name}`, ["sh", "-c", script], more);
const python = (name: string, code: string, more: Partial<Case> = {}): Case => ({ name: `python3 ${name}`, pkg: "python3", argv: [PY, "-c", code], allow: PY_LIBS, ...more });

export const CASES: readonly Case[] = [
  // busybox-static: one static multi-call binary, its applets on generated text.
  busybox("sort", ["sort", "text.txt"]),
  busybox("sort -rn -k2 (stdin)", ["sort", "-r", "-n", "-k2"], { stdin: "small.txt" }),
  busybox("sha256sum", ["sha256sum", "text.txt", "small.txt"]),
  busybox("md5sum (stdin)", ["md5sum"], { stdin: "text.txt" }),
  busybox("sha1sum, sha512sum", ["sh", "-c", "busybox sha1sum text.txt && busybox sha512sum small.txt"]),
  busybox("cksum", ["cksum", "text.txt"]),
  busybox("awk word counts", ["awk", "{ for (i = 1; i < NF; i++) c[$i]++ } END { for (w in c) if (c[w] > 30) n++; print n, NR; printf \"%.3f\\n\", NR / 7 }", "text.txt"]),
  busybox("sed", ["sed", "-e", "s/\\([a-z]*\\) \\([a-z]*\\)/\\2 \\1/", "-e", "/^q/d", "-e", "10~7y/abc/ABC/", "text.txt"]),
  busybox("grep -n -E", ["grep", "-n", "-E", "^(ab|cd)[a-z]* [0-9]", "text.txt"]),
  busybox("grep -c -v (stdin)", ["grep", "-c", "-v", "e"], { stdin: "text.txt" }),
  busybox("wc", ["wc", "text.txt", "small.txt"]),
  busybox("tr rot13 (stdin)", ["tr", "a-z", "n-za-m"], { stdin: "text.txt" }),
  busybox("cut", ["cut", "-d", " ", "-f", "2,4", "text.txt"]),
  busybox("uniq -c (stdin)", ["uniq", "-c"], { stdin: "small.txt" }),
  busybox("uniq -c file", ["uniq", "-c", "small.txt"]),
  busybox("od", ["od", "-A", "x", "-t", "x1z", "-N", "256", "text.txt"]),
  busybox("hexdump -C", ["hexdump", "-C", "-n", "200", "small.txt"]),
  busybox("base64", ["base64", "text.txt"]),
  busybox("seq", ["seq", "1", "7", "30000"]),
  busybox("expr", ["expr", "123456789", "*", "987", "+", "length", "hello world"]),
  busybox("printf", ["printf", "%s=%05d %x %.3f %c|%-6s|\\n", "a", "42", "255", "3.14159", "z", "pad", "b", "7", "16", "2.5", "y", "x"]),
  busybox("factor", ["factor", "600851475143", "1234567890123", "4294967297"]),
  busybox("bc -l", ["bc", "-l"], { stdin: "math.bc" }),
  busybox("dc", ["dc", "-e", "2 128 ^ p 17 3 / p 10 k 1 7 / p"]),
  busybox("dd", ["dd", "if=text.txt", "bs=4096", "skip=3", "count=5", "status=noxfer"]),
  busybox("diff -u (status 1)", ["diff", "-u", "tree/src/lib/notes.txt", "small.txt"]),
  busybox("cmp (status 1)", ["cmp", "text.txt", "small.txt"]),
  busybox("gzip -9 -c (stdin)", ["gzip", "-9", "-c"], { stdin: "text.txt" }),
  busybox("gunzip -c", ["gunzip", "-c", "text.txt.gz"]),
  busybox("xzcat", ["xzcat", "text.txt.xz"]),
  busybox("bzcat", ["bzcat", "text.txt.bz2"]),
  busybox("tar -tvf", ["tar", "-tvf", "tree.tar"]),
  busybox("tar -xOf", ["tar", "-xOf", "tree.tar", "tree/src/lib/notes.txt"]),
  busybox("tar -cf - of a tree with a link", ["tar", "-cf", "-", "tree"]),
  busybox("ls -lR", ["ls", "-lR", "tree"]),
  busybox("ls -ln of a directory", ["ls", "-ln", "tree/src/lib"]),
  busybox("ls -a1", ["ls", "-a1", "tree/src"]),
  busybox("find", ["find", "tree"]),
  busybox("find -type f -name", ["find", "tree", "-type", "f", "-name", "*.c"]),
  busybox("stat -c", ["stat", "-c", "%n %s %a %F %Y", "tree/README", "tree/src", "tree/src/link-to-main"]),
  busybox("du -a", ["du", "-a", "tree"]),
  busybox("realpath of a link", ["realpath", "tree/src/link-to-main"]),
  busybox("date -d", ["date", "-u", "-d", "@1700000000", "+%F %T %A %j"]),
  // -u _: bash sets _ to the path it executed, which is node for the jitdbg run.
  busybox("env", ["env", "-u", "_"]),
  busybox("id", ["id"]),
  busybox("uname -a", ["uname", "-a"]),
  busybox("nproc", ["nproc"]),
  busybox("sleep", ["sleep", "0.2"]),
  busybox("hostname, whoami, printenv, which", ["sh", "-c", "busybox hostname; busybox whoami; busybox printenv LANG; busybox which busybox"]),
  busybox("tty (not a terminal: status 1)", ["tty"]),
  busybox("timeout of a quick program", ["timeout", "5", "busybox", "true"]),
  busybox("timeout that kills", ["timeout", "1", "busybox", "sleep", "3"]),
  busybox("nice", ["nice", "-n", "5", "busybox", "nice"]),
  busybox("stat -f, id -u, id -gn", ["sh", "-c", "busybox stat -f -c '%T' . ; busybox id -u; busybox id -gn"]),
  // The file system, its size and mount point (used and free blocks move while other tests write).
  busybox("df", ["sh", "-c", "busybox df -P . | busybox awk '{ print $1, $2, $6 }'"]),
  sh("gzip | gunzip | sha256sum", "busybox gzip -c < text.txt | busybox gunzip -c | busybox sha256sum"),
  sh("base64 round trip", "busybox base64 text.txt | busybox base64 -d | busybox cmp - text.txt && echo same"),
  sh("sort | uniq -c | sort -rn | head", "busybox cat text.txt | busybox tr ' ' '\\n' | busybox sort | busybox uniq -c | busybox sort -rn | busybox head -n 8"),
  sh("while loop into tail", 'i=0; while [ $i -lt 300 ]; do i=$((i + 1)); echo "line $i"; done | busybox tail -n 3'),
  sh("for over a glob, status", 'for f in tree/src/lib/*; do busybox wc -c "$f"; done; false; echo "status $?"'),
  sh("command substitution, exit 3", 'n=$(busybox wc -l < small.txt); echo "lines: $n"; case $n in *[0-9]) exit 3;; esac'),
  sh("xargs", "busybox seq 1 23 | busybox xargs -n 5 echo"),
  sh("md5sum -c from a pipe", "busybox md5sum text.txt small.txt | busybox md5sum -c -"),
  sh("find -exec", "busybox find tree -type f -exec busybox md5sum {} +"),
  sh("tar -cz | tar -tzv", "busybox tar -czf - tree/src/lib | busybox tar -tzvf -"),
  sh("functions, read, here-document", 'f() { echo "f($1)"; }; while read a b rest; do f "$a"; done <<EOF\none two\nthree four five\nEOF'),
  sh("trap and kill -USR1 $$", 'trap "echo got" USR1; kill -USR1 $$; echo after'),
  // Whether ash reports "Terminated" depends on when the child's death is noticed (natively 19 of 20
  // runs say it, 1 does not), so the report is sent away; the status is the point.
  sh("kill a background job, wait", "busybox sleep 5 & kill $!; wait $! 2>/dev/null; echo status $?"),
  sh("SIGPIPE in a pipeline", "busybox seq 1 100000 | busybox head -n 1; echo done"),
  sh("exit 300", "exit 300"),
  sh("umask", "umask 027; umask; umask 0; umask"),
  sh("ulimit -a", "ulimit -a"),
  sh("ulimit -n 256; ulimit -a", "ulimit -n 256 && ulimit -a && busybox sh -c 'ulimit -n'"),
  sh("to /dev/null", "echo hidden > /dev/null; echo shown"),
  sh("/dev/zero", "busybox head -c 64 /dev/zero | busybox od -An -tx1"),
  sh("/dev/urandom", "busybox head -c 4096 /dev/urandom | busybox wc -c"),
  sh("a file in /tmp", 't=$(busybox mktemp); echo scratch > "$t"; busybox cat "$t"; busybox rm "$t"; echo removed'),
  busybox("gzip a file", ["sh", "-c", "busybox gzip -9 small.txt && busybox gunzip -c small.txt.gz | busybox wc -c && busybox ls"], { writes: true }),
  busybox("tar -cf into a file", ["sh", "-c", "busybox tar -cf out.tar tree/src/lib && busybox tar -tf out.tar"], { writes: true }),
  busybox("sort -o", ["sort", "-o", "sorted.txt", "text.txt"], { writes: true }),
  busybox("mkdir, cp -r, mv, ln -s, chmod, touch, rm -r", ["sh", "-c", "busybox mkdir -p out/a/b && busybox cp -r tree out/t && busybox mv out/t/README out/a/R && busybox ln -s R out/a/L && busybox chmod 600 out/a/R && busybox touch -d @1600000000 out/a/R && busybox ls -R out && busybox stat -c '%n %a %s %F' out/a/R out/a/L && busybox stat -c %Y out/a/R && busybox rm -r out/t && busybox find out"], { writes: true }),
  busybox("split and cat back", ["sh", "-c", "busybox split -b 50000 text.txt part. && busybox ls part.* && busybox cat part.* | busybox cmp - text.txt && echo same"], { writes: true }),
  busybox("mkfifo", ["sh", "-c", "busybox mkfifo p && (echo through > p &) && busybox cat p"], { writes: true }),
  busybox("tar -xf", ["sh", "-c", "busybox tar -xf tree.tar && busybox ls -l tree/src/lib"], { writes: true }),

  // Compressors, dynamic programs through the emulated ld.so.
  { name: "gzip -9 -c (stdin)", pkg: "gzip", argv: ["/usr/bin/gzip", "-9", "-c"], stdin: "text.txt" },
  { name: "gzip -d -c (stdin)", pkg: "gzip", argv: ["/usr/bin/gzip", "-d", "-c"], stdin: "text.txt.gz" },
  { name: "gzip -l", pkg: "gzip", argv: ["/usr/bin/gzip", "-l", "text.txt.gz"] },
  { name: "xz -c (stdin)", pkg: "xz-utils", argv: ["/usr/bin/xz", "-c"], stdin: "text.txt" },
  { name: "xz -d -c (stdin)", pkg: "xz-utils", argv: ["/usr/bin/xz", "-d", "-c"], stdin: "text.txt.xz" },
  { name: "xz -l", pkg: "xz-utils", argv: ["/usr/bin/xz", "-l", "text.txt.xz"] },
  { name: "bzip2 -9 -c (stdin)", pkg: "bzip2", argv: ["/usr/bin/bzip2", "-9", "-c"], stdin: "text.txt" },
  { name: "bzip2 -d -c (stdin)", pkg: "bzip2", argv: ["/usr/bin/bzip2", "-d", "-c"], stdin: "text.txt.bz2" },
  { name: "xz -d -k, gzip -d of files", pkg: "xz-utils", argv: ["/usr/bin/bash", "-c", "mkdir d && cp text.txt.xz text.txt.gz d && xz -d -k d/text.txt.xz && gzip -d -f d/text.txt.gz && ls d && cmp d/text.txt text.txt"], writes: true },
  { name: "gzip -k a file", pkg: "gzip", argv: ["/usr/bin/gzip", "-9", "-k", "text.txt"], writes: true },
  { name: "xz -k a file", pkg: "xz-utils", argv: ["/usr/bin/xz", "-k", "text.txt"], writes: true },

  // Debian's own tools (dynamic, through the emulated ld.so): coreutils, findutils, GNU tar, sed,
  // grep, mawk, diffutils, perl, bash, dash, jq, bc.
  { name: "coreutils sort -k2n", pkg: "coreutils", argv: ["/usr/bin/sort", "-k2n", "-s", "text.txt"] },
  { name: "coreutils nice -n 7 nice (setpriority)", pkg: "coreutils", argv: ["/usr/bin/nice", "-n", "7", "/usr/bin/nice"] },
  { name: "util-linux chrt, taskset, ionice on a command", pkg: "util-linux", argv: ["/usr/bin/bash", "-c", "chrt -b 0 chrt -p 0 | sed 's/[0-9]*.s current/N current/'; taskset -c 0 nproc; ionice -c 2 -n 5 ionice"] },
  { name: "coreutils sha256sum, md5sum, b2sum", pkg: "coreutils", argv: ["/usr/bin/bash", "-c", "sha256sum text.txt; md5sum small.txt; b2sum -l 128 tree/README"] },
  { name: "coreutils wc (stdin)", pkg: "coreutils", argv: ["/usr/bin/wc"], stdin: "text.txt" },
  { name: "coreutils tr, cut, uniq, head in a pipeline", pkg: "coreutils", argv: ["/usr/bin/bash", "-c", "tr -s ' ' '\\n' < text.txt | cut -c1-3 | sort | uniq -c | sort -k1,1nr -k2 | head -n 5"] },
  { name: "coreutils od, base64, numfmt, factor", pkg: "coreutils", argv: ["/usr/bin/bash", "-c", "od -A d -t x2 -N 64 small.txt; base64 -w 60 small.txt | head -3; numfmt --to=iec 1048576 123456789; factor 2147483647"] },
  { name: "coreutils ls -l", pkg: "coreutils", argv: ["/usr/bin/ls", "-l", "--time-style=+%F", "tree/src/lib"] },
  { name: "coreutils ls -lR with a link", pkg: "coreutils", argv: ["/usr/bin/ls", "-lR", "--time-style=+%F", "tree"] },
  { name: "coreutils stat", pkg: "coreutils", argv: ["/usr/bin/stat", "-c", "%n %s %a %F %Y %h", "tree/README", "tree/src", "tree/empty"] },
  { name: "coreutils date", pkg: "coreutils", argv: ["/usr/bin/date", "-u", "-d", "@1700000000", "+%c %s %V"] },
  { name: "coreutils sort -S 64k (temporary files in /tmp)", pkg: "coreutils", argv: ["/usr/bin/sort", "-S", "64k", "-T", "/tmp", "text.txt"] },
  { name: "coreutils cp -a, install, truncate, du", pkg: "coreutils", argv: ["/usr/bin/bash", "-c", "cp -a tree t2 && install -m 640 small.txt t2/s && truncate -s 100 t2/s && ls -l --time-style=+%F t2 && du -sb t2"], writes: true },
  { name: "coreutils md5sum -c of a file it wrote", pkg: "coreutils", argv: ["/usr/bin/bash", "-c", "md5sum text.txt small.txt > sums && md5sum -c sums"], writes: true },
  { name: "findutils find", pkg: "findutils", argv: ["/usr/bin/find", "tree", "-name", "*.c", "-size", "-4k"] },
  { name: "findutils find | xargs", pkg: "findutils", argv: ["/usr/bin/bash", "-c", "find tree -type f -print0 | sort -z | xargs -0 wc -c"] },
  { name: "GNU tar -tvf", pkg: "tar", argv: ["/usr/bin/tar", "-tvf", "tree.tar"] },
  { name: "GNU tar -cf - | tar -t", pkg: "tar", argv: ["/usr/bin/bash", "-c", "tar --sort=name -cf - tree | tar -tf -"] },
  { name: "GNU tar -xf, -czf, -tzv", pkg: "tar", argv: ["/usr/bin/bash", "-c", "mkdir x && tar -C x -xf tree.tar && tar --sort=name --mtime=@0 --owner=0 --group=0 -czf x.tgz x && tar -tzvf x.tgz"], writes: true },
  { name: "GNU sed", pkg: "sed", argv: ["/usr/bin/sed", "-E", "s/([a-z]+) ([0-9]+)$/\\2:\\1/; /^[a-m]/!d", "text.txt"] },
  { name: "GNU grep -o -E | sort | uniq -c", pkg: "grep", argv: ["/usr/bin/bash", "-c", "grep -o -E '[a-z]{7,}' text.txt | sort | uniq -c | sort -rn | head"] },
  { name: "mawk", pkg: "mawk", argv: ["/usr/bin/mawk", "{ s += $NF; w += NF } END { printf \"%d %d %.4f\\n\", NR, w, s / NR }", "text.txt"] },
  { name: "diff -u (status 1)", pkg: "diffutils", argv: ["/usr/bin/diff", "-u", "tree/src/lib/notes.txt", "small.txt"] },
  { name: "perl word counts", pkg: "perl-base", argv: ["/usr/bin/perl", "-ne", "$c{$_}++ for split; END { print \"$_ $c{$_}\\n\" for (sort { $c{$b} <=> $c{$a} || $a cmp $b } keys %c)[0..4] }", "text.txt"] },
  { name: "perl POSIX, List::Util, readdir", pkg: "perl-base", argv: ["/usr/bin/perl", "-MPOSIX", "-MList::Util=sum", "-e", "print floor(3.7), ' ', sum(1..100), ' ', strftime('%F', gmtime(0)), \"\\n\"; opendir(D, 'tree'); print join(',', sort grep { !/^\\./ } readdir D), \"\\n\""] },
  { name: "bash builtins: read, mapfile, printf %T, cd, times", pkg: "bash", argv: ["/usr/bin/bash", "-c", "ulimit -c; umask; printf '%(%F)T\\n' 0; read -r a < small.txt; echo ${#a}; mapfile -t L < small.txt; echo ${#L[@]}; type -t cd; cd tree && pwd -P | sed 's|.*/||'; times >/dev/null; echo ok"] },
  { name: "bash process substitution", pkg: "bash", argv: ["/usr/bin/bash", "-c", "diff <(sort small.txt) <(sort -r small.txt | sort) && echo same"] },
  { name: "bash coproc", pkg: "bash", argv: ["/usr/bin/bash", "-c", "coproc { read x; echo got $x; }; echo hi >&${COPROC[1]}; read y <&${COPROC[0]}; echo $y"] },
  { name: "bash: arrays, functions, arithmetic", pkg: "bash", argv: ["/usr/bin/bash", "-c", 'f() { local -a a=("$@"); echo "${#a[@]} ${a[*]^^}"; }; f x y z; declare -A m=([k]=v); echo "${m[k]} $((2**40)) ${BASH_VERSINFO[0]}"; for i in {1..4}; do echo $i; done | paste -sd+ | bc'] },
  { name: "dash: a pipeline and a loop", pkg: "dash", argv: ["/usr/bin/dash", "-c", "i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo $i; done | tail -n 2; exit 4"] },
  { name: "jq", pkg: "jq", argv: ["/usr/bin/jq", "-c", "[.items[] | select(.price > 50) | {id, tags}] | length, .[0], (map(.id) | add)"], stdin: "data.json" },
  { name: "bc -l", pkg: "bc", argv: ["/usr/bin/bc", "-l"], stdin: "math.bc" },

  // sqlite3 with a script on stdin.
  { name: "sqlite3 :memory: (script on stdin)", pkg: "sqlite3", argv: ["/usr/bin/sqlite3", ":memory:"], stdin: "script.sql" },
  { name: "sqlite3 -json", pkg: "sqlite3", argv: ["/usr/bin/sqlite3", "-json", ":memory:", "select 1 as one, 'two' as two, 3.5 as three, null as four, x'cafe' as five"] },
  { name: "sqlite3 .dump", pkg: "sqlite3", argv: ["/usr/bin/sqlite3", ":memory:", "create table t(a, b); insert into t values (1, 'x'), (2, null); .dump"] },
  { name: "sqlite3 on a database file", pkg: "sqlite3", argv: ["/usr/bin/sqlite3", "data.db"], stdin: "script.sql", writes: true },

  // The toolchain: make runs the shell, which runs gcc (cc1, as, collect2, ld) and the program it
  // built; clang's libraries are links from the multiarch directory into /usr/lib/llvm-14/lib.
  { name: "make: gcc builds a program, make runs it", pkg: "make", argv: ["/usr/bin/make", "-s", "-f", "build.mk"], allow: GCC_READS, writes: true },
  { name: "gcc -O2 -S to stdout", pkg: "gcc", argv: ["/usr/bin/gcc", "-O2", "-S", "-o", "-", "prog.c"], allow: GCC_READS },
  { name: "clang --version", pkg: "clang", argv: ["/usr/bin/clang", "--version"] },

  // python3: the interpreter, its standard library and extension modules through ld.so.
  python("print (with the site module)", 'print("hello from python", 6 * 7)'),
  python("text statistics on stdin", "import sys, zlib, hashlib, collections\nd = sys.stdin.buffer.read()\nc = collections.Counter(d.split())\nprint(len(d), zlib.crc32(d), len(zlib.compress(d, 9)), hashlib.sha256(d).hexdigest())\nprint(c.most_common(5))", { stdin: "text.txt" }),
  python("json, re, decimal, fractions", 'import json, re, decimal, fractions, itertools\nprint(json.dumps({"a": [1, 2.5, None, True], "b": "\\u00e9"}, sort_keys=True))\nprint(re.sub(r"(\\w+)@(\\w+)", r"\\2 at \\1", "ann@home bob@work"))\ndecimal.getcontext().prec = 50\nprint(decimal.Decimal(1) / 7, fractions.Fraction(355, 113) - fractions.Fraction(22, 7))\nprint(list(itertools.permutations("abc", 2)))'),
  python("big integers", "import math\nprint(pow(3, 100000, 10 ** 40), len(str(math.factorial(2000))), sum(int(x) for x in str(2 ** 5000)))"),
  python("json.tool on stdin (-m)", "import runpy, sys; sys.argv = ['json.tool', '--sort-keys']; runpy.run_module('json.tool', run_name='__main__')", { stdin: "data.json" }),
  python("sqlite3 module", 'import sqlite3\nc = sqlite3.connect(":memory:")\nc.execute("create table t(x)")\nc.executemany("insert into t values (?)", [(i * i % 97,) for i in range(1000)])\nprint(c.execute("select count(distinct x), sum(x), max(x) from t").fetchone(), sqlite3.sqlite_version)'),
  python("os and resource queries", "import os, resource\nprint(oct(os.umask(0o22)), os.cpu_count(), len(os.sched_getaffinity(0)), os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0))\nr = resource.getrusage(resource.RUSAGE_SELF)\nprint(r.ru_utime >= 0, r.ru_maxrss > 0, os.times().elapsed > 0, os.uname().sysname, os.uname().machine)"),
  python("subprocess", 'import subprocess\nr = subprocess.run(["/bin/busybox", "sh", "-c", "echo out; echo err >&2; exit 5"], capture_output=True)\nprint(r.returncode, r.stdout, r.stderr)'),
  python("listdir, walk, pathlib, realpath", "import os, pathlib\nprint(sorted(os.listdir('tree')), [(d, sorted(f)) for d, _, f in sorted(os.walk('tree'))])\nprint(sorted(str(p) for p in pathlib.Path('tree').rglob('*.c')), os.path.realpath('tree/src/link-to-main').endswith('main.c'))"),
  python("writing, renaming, removing files", "import json, os\nwith open('o.json', 'w') as f: json.dump({'x': 1}, f)\nos.rename('o.json', 'p.json'); print(open('p.json').read(), os.stat('p.json').st_size)\nos.mkdir('dd'); os.rmdir('dd'); print(sorted(os.listdir('.'))[:3])", { writes: true }),
  python("signal.alarm during sleep", "import signal, threading, time\nsignal.signal(signal.SIGALRM, lambda *a: print('alarm'))\nsignal.alarm(1); time.sleep(2); print('done', threading.active_count())"),
  python("locale, time, datetime", "import locale, time, datetime\nprint(locale.setlocale(locale.LC_ALL, ''), time.strftime('%Y', time.gmtime(0)), datetime.datetime(2020, 1, 1).isoformat(), time.tzname)"),
  python("multiprocessing pool (fork)", "import multiprocessing as mp\nif __name__ == '__main__':\n    with mp.get_context('fork').Pool(2) as p: print(p.map(abs, range(-5, 5)))"),
  python("multiprocessing Value and Lock across processes", "import multiprocessing as mp\ndef work(v, l, n):\n    for _ in range(n):\n        with l: v.value += 1\nif __name__ == '__main__':\n    ctx = mp.get_context('fork'); v = ctx.Value('i', 0, lock=False); l = ctx.Lock()\n    ps = [ctx.Process(target=work, args=(v, l, 3000)) for _ in range(3)]\n    [p.start() for p in ps]; [p.join() for p in ps]\n    print(v.value, [p.exitcode for p in ps])"),
  python("multiprocessing Manager (AF_UNIX listener, forked server)", "import multiprocessing as mp\nif __name__ == '__main__':\n    with mp.get_context('fork').Manager() as m:\n        d = m.dict(); l = m.list(range(3)); d['a'] = 1; l.append(9)\n        print(dict(d), list(l))"),
  python("multiprocessing.shared_memory", "from multiprocessing import shared_memory, get_context\ndef child(name):\n    s = shared_memory.SharedMemory(name=name); s.buf[:5] = b'hello'; s.close()\nif __name__ == '__main__':\n    s = shared_memory.SharedMemory(create=True, size=4096)\n    p = get_context('fork').Process(target=child, args=(s.name,)); p.start(); p.join()\n    print(bytes(s.buf[:5]), p.exitcode); s.close(); s.unlink()"),
  python("os.fork and waitpid", "import os\npid = os.fork()\nif pid == 0: os._exit(7)\nprint(os.waitpid(pid, 0)[1] >> 8)"),
  python("select on a pipe", "import os, select\nr, w = os.pipe(); os.write(w, b'x'); print(select.select([r], [], [], 1)[0] == [r], os.read(r, 1))"),
  python("SIGTERM to itself (status 143)", "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"),
  python("asyncio", "import asyncio\nasync def f(i):\n    await asyncio.sleep(0.01 * i); return i\nasync def m(): print(await asyncio.gather(*(f(i) for i in range(5))))\nasyncio.run(m())"),
  python("tempfile", 'import tempfile\nwith tempfile.TemporaryFile() as f:\n    f.write(b"abc" * 1000); f.seek(0); print(len(f.read()))'),
];
