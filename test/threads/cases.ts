/** The synchronised programs of the thread suite and their arguments (sizes that cross many turns). */
export interface Case {
  program: string;
  args?: string[];
}

export const CASES: readonly Case[] = [
  { program: "mutex_counter", args: ["2", "20000"] },
  { program: "mutex_counter", args: ["4", "10000"] },
  { program: "mutex_counter", args: ["8", "5000"] },
  { program: "prodcons", args: ["2", "2", "5000"] },
  { program: "prodcons", args: ["3", "1", "2000"] },
  { program: "join_detach" },
  { program: "tls", args: ["4"] },
  { program: "barrier", args: ["4", "500"] },
  { program: "pool", args: ["4", "1000"] },
  { program: "once", args: ["8"] },
  { program: "rwlock", args: ["3", "2", "4000"] },
  { program: "semaphore", args: ["3000"] },
  { program: "lifecycle", args: ["8"] },
  { program: "features" },
];

export const label = (c: Case): string => `${c.program}${c.args ? ` ${c.args.join(" ")}` : ""}`;
