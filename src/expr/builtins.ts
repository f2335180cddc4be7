/**
 * Prototypes of standard C library functions, used when the program has no debug info for them
 * (libc is rarely built with -g), so `strlen(s)` and `printf("%d\n", x)` work as in gdb with glibc
 * debug symbols. One row per function, written in C and parsed by our own parser.
 */
import { parseTypeName, type TypeEnv } from "./parser.js";
import { T, typedef, type CType, type FunctionType } from "./types.js";

const LIBC: readonly (readonly [string, string])[] = [
  // string.h
  ["strlen", "size_t (const char *)"],
  ["strnlen", "size_t (const char *, size_t)"],
  ["strcmp", "int (const char *, const char *)"],
  ["strncmp", "int (const char *, const char *, size_t)"],
  ["strcasecmp", "int (const char *, const char *)"],
  ["strcpy", "char *(char *, const char *)"],
  ["strncpy", "char *(char *, const char *, size_t)"],
  ["strcat", "char *(char *, const char *)"],
  ["strchr", "char *(const char *, int)"],
  ["strrchr", "char *(const char *, int)"],
  ["strstr", "char *(const char *, const char *)"],
  ["strdup", "char *(const char *)"],
  ["strerror", "char *(int)"],
  ["memcmp", "int (const void *, const void *, size_t)"],
  ["memcpy", "void *(void *, const void *, size_t)"],
  ["memmove", "void *(void *, const void *, size_t)"],
  ["memset", "void *(void *, int, size_t)"],
  ["memchr", "void *(const void *, int, size_t)"],
  // stdlib.h
  ["malloc", "void *(size_t)"],
  ["calloc", "void *(size_t, size_t)"],
  ["realloc", "void *(void *, size_t)"],
  ["free", "void (void *)"],
  ["abs", "int (int)"],
  ["labs", "long (long)"],
  ["llabs", "long long (long long)"],
  ["atoi", "int (const char *)"],
  ["atol", "long (const char *)"],
  ["atof", "double (const char *)"],
  ["strtol", "long (const char *, char **, int)"],
  ["strtoul", "unsigned long (const char *, char **, int)"],
  ["strtod", "double (const char *, char **)"],
  ["rand", "int (void)"],
  ["srand", "void (unsigned int)"],
  ["getenv", "char *(const char *)"],
  ["exit", "void (int)"],
  ["abort", "void (void)"],
  // stdio.h (streams are opaque: FILE is void here)
  ["printf", "int (const char *, ...)"],
  ["sprintf", "int (char *, const char *, ...)"],
  ["snprintf", "int (char *, size_t, const char *, ...)"],
  ["fprintf", "int (FILE *, const char *, ...)"],
  ["puts", "int (const char *)"],
  ["putchar", "int (int)"],
  ["fflush", "int (FILE *)"],
  // math.h
  ["sqrt", "double (double)"],
  ["sqrtf", "float (float)"],
  ["fabs", "double (double)"],
  ["floor", "double (double)"],
  ["ceil", "double (double)"],
  ["round", "double (double)"],
  ["fmod", "double (double, double)"],
  ["pow", "double (double, double)"],
  ["exp", "double (double)"],
  ["log", "double (double)"],
  ["log10", "double (double)"],
  ["sin", "double (double)"],
  ["cos", "double (double)"],
  ["tan", "double (double)"],
  ["atan2", "double (double, double)"],
  ["sqrtl", "long double (long double)"],
  ["fabsl", "long double (long double)"],
  ["floorl", "long double (long double)"],
  ["ceill", "long double (long double)"],
  ["roundl", "long double (long double)"],
  ["truncl", "long double (long double)"],
  ["fmodl", "long double (long double, long double)"],
  ["powl", "long double (long double, long double)"],
  ["expl", "long double (long double)"],
  ["logl", "long double (long double)"],
  ["sinl", "long double (long double)"],
  ["cosl", "long double (long double)"],
  ["strtold", "long double (const char *, char **)"],
  ["creal", "double (double _Complex)"],
  ["cimag", "double (double _Complex)"],
  ["crealf", "float (float _Complex)"],
  ["cimagf", "float (float _Complex)"],
  ["creall", "long double (long double _Complex)"],
  ["cimagl", "long double (long double _Complex)"],
  ["cabs", "double (double _Complex)"],
  ["conj", "double _Complex (double _Complex)"],
  ["conjf", "float _Complex (float _Complex)"],
  ["conjl", "long double _Complex (long double _Complex)"],
  ["csqrt", "double _Complex (double _Complex)"],
  // signal.h
  ["raise", "int (int)"],
  // unistd.h
  ["getpid", "int (void)"],
  ["write", "long (int, const void *, size_t)"],
  ["sleep", "unsigned int (unsigned int)"],
];

const BUILTIN_TYPEDEFS = new Map<string, CType>([
  ["size_t", typedef("size_t", T.ulong)],
  ["ssize_t", typedef("ssize_t", T.long)],
  ["FILE", typedef("FILE", T.void)],
]);

const env: TypeEnv = {
  typedef: (name) => BUILTIN_TYPEDEFS.get(name),
  tag: () => undefined,
  tagNames: () => [],
};

let table: Map<string, FunctionType> | undefined;

/** The built-in prototype of a C library function, if we know it. */
export function libcPrototype(name: string): FunctionType | undefined {
  if (!table) {
    table = new Map();
    for (const [fn, proto] of LIBC) {
      const t = parseTypeName(proto, env);
      if (t.kind !== "function") throw new Error(`builtins.ts: '${fn}' is not a function type`);
      table.set(fn, t);
    }
  }
  return table.get(name);
}

export function libcNames(): string[] {
  return LIBC.map(([n]) => n);
}
