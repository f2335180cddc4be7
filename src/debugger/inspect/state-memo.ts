/**
 * What was made from the stopped program's state (views of scopes and variables, a frame's values
 * reader), kept while that state is the same: the CPU's change count (Cpu.changes: every write,
 * register or context change, mapping change and run counts) has not moved and the owner has not
 * cleared it (the stop ended). A repeated request is answered from here; nothing is ever shown
 * from a state the program has left.
 */
import type { Cpu } from "../../emu/cpu.js";

/** Kept results a stop may hold before they are forgotten all at once (a view expanded page after page). */
const LIMIT = 2048;

export class StateMemo {
  private readonly made = new Map<string, unknown>();
  private cpu: Cpu | undefined;
  private changes = -1;

  constructor(private readonly currentCpu: () => Cpu) {}

  get<T>(key: string, make: () => T): T {
    const cpu = this.currentCpu();
    if (cpu !== this.cpu || cpu.changes !== this.changes) {
      this.made.clear();
      this.cpu = cpu;
      this.changes = cpu.changes;
    }
    if (this.made.has(key)) return this.made.get(key) as T;
    const value = make();
    // Making it changed the state (or it came from another one): it is not what this state shows.
    if (cpu.changes !== this.changes) return value;
    if (this.made.size >= LIMIT) this.made.clear();
    this.made.set(key, value);
    return value;
  }

  clear(): void {
    this.made.clear();
    this.cpu = undefined;
  }
}
