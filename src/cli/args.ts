/**
 * Command-line options of the `jitdbg` commands, read by `node:util` parseArgs. parseArgs splits
 * the arguments into tokens (long and short options, `--opt=value`, `--`); this walks them in order
 * so that each command keeps its own contract and its own messages: `run` stops at the program (its
 * arguments are the program's, dashes and all), `rtdyld` passes everything after `--args` on,
 * `--help` answers at once, and a bad argument is a CLI_USAGE error the command words itself.
 */
import { parseArgs } from "node:util";
import { JitdbgError } from "../errors.js";

export interface OptionSpec {
  type: "boolean" | "string";
  short?: string;
}

export interface CommandSpec {
  options: Record<string, OptionSpec>;
  /** The first positional argument and everything after it are `rest`, not parsed (run's program). */
  stopAtFirstPositional?: boolean;
  /** An option after which every argument goes to `rest` as it is (rtdyld's --args). */
  restAfter?: string;
  /** An option that ends parsing when met, the arguments after it unread (--help). */
  final?: string;
  /** Arguments accepted and ignored, compared whole (rtdyld's -execute). */
  ignore?: string[];
  /** The message for an argument that is no option of the command, given as written. */
  unknown(arg: string): string;
  /** The message for a value option given last, without its value. */
  needsValue(arg: string): string;
}

export interface CommandArgs {
  /** Boolean options given. */
  flags: Set<string>;
  /** Values of string options, in order (the last one wins for single-valued options). */
  strings: Map<string, string[]>;
  positionals: string[];
  rest: string[];
}

export function parseCommandArgs(argv: string[], spec: CommandSpec): CommandArgs {
  const { tokens } = parseArgs({ args: argv, options: spec.options, strict: false, allowPositionals: true, tokens: true });
  const out: CommandArgs = { flags: new Set(), strings: new Map(), positionals: [], rest: [] };
  const usage = (message: string) => new JitdbgError("CLI_USAGE", message);
  let groupIndex = -1; // the argument of a short-option group (-abc) already dealt with
  for (const t of tokens) {
    if (t.index === groupIndex) continue;
    const raw = argv[t.index]!;
    if (spec.ignore?.includes(raw)) {
      groupIndex = t.index;
      continue;
    }
    if (t.kind === "option-terminator") {
      if (!spec.stopAtFirstPositional) throw usage(spec.unknown(raw));
      out.rest = argv.slice(t.index + 1);
      return out;
    }
    if (t.kind === "positional") {
      if (raw === "-") throw usage(spec.unknown(raw));
      if (spec.stopAtFirstPositional) {
        out.rest = argv.slice(t.index);
        return out;
      }
      out.positionals.push(t.value);
      continue;
    }
    const option = Object.hasOwn(spec.options, t.name) ? spec.options[t.name] : undefined;
    // No option takes a value glued to its short name and none may be grouped: -abc is one unknown word.
    const group = !raw.startsWith("--") && raw.length > 2;
    if (!option || group) throw usage(spec.unknown(raw));
    if (option.type === "boolean") {
      if (t.value !== undefined) throw usage(spec.unknown(raw)); // --flag=value
      out.flags.add(t.name);
      if (t.name === spec.restAfter) {
        out.rest = argv.slice(t.index + 1);
        return out;
      }
      if (t.name === spec.final) return out;
    } else {
      if (t.value === undefined) throw usage(spec.needsValue(raw));
      const list = out.strings.get(t.name) ?? [];
      list.push(t.value);
      out.strings.set(t.name, list);
    }
  }
  return out;
}
