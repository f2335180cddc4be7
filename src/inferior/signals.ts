/** Linux signal numbers and names (x86-64). */
export const SIGNALS: Record<number, string> = {
  1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
  9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
  16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
  23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO",
  30: "SIGPWR", 31: "SIGSYS",
};

export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGFPE = 8;
export const SIGSEGV = 11;

export function signalName(sig: number): string {
  return SIGNALS[sig] ?? `signal ${sig}`;
}

/** Signals whose default action is to ignore (everything else terminates, for our purposes). */
export const DEFAULT_IGNORED = new Set([17, 18, 23, 28]);
