/**
 * The argument shapes of the DAP requests jitdbg answers (from the specification), checked before
 * a request is handled: a request whose arguments have the wrong type is answered with what is
 * wrong and where ("setBreakpoints: 'breakpoints[0].line' must be an integer"), never with a
 * JavaScript error from deep inside.
 */
import { badArgument } from "./errors.js";

type Kind = "string" | "integer" | "boolean" | "object" | "array";

/** A field: its kind, whether it must be there, and for objects and arrays of objects their fields. */
interface Field {
  kind: Kind;
  required?: boolean;
  /** For an object, or each element of an array of objects. */
  fields?: Shape;
  /** For an array of scalars. */
  of?: Exclude<Kind, "object" | "array">;
}

type Shape = Record<string, Field>;

const req = (kind: Kind, extra: Omit<Field, "kind" | "required"> = {}): Field => ({ kind, required: true, ...extra });
const opt = (kind: Kind, extra: Omit<Field, "kind" | "required"> = {}): Field => ({ kind, ...extra });

const SOURCE: Shape = { path: opt("string"), name: opt("string"), sourceReference: opt("integer") };
const CONDITIONS: Shape = { condition: opt("string"), hitCondition: opt("string") };
const THREAD: Shape = { threadId: req("integer") };
const VALUE_FORMAT: Shape = { hex: opt("boolean") };

export const REQUEST_SHAPES: Record<string, Shape> = {
  setBreakpoints: {
    source: req("object", { fields: SOURCE }),
    breakpoints: opt("array", { fields: { line: req("integer"), column: opt("integer"), logMessage: opt("string"), ...CONDITIONS } }),
    lines: opt("array", { of: "integer" }),
  },
  setFunctionBreakpoints: { breakpoints: req("array", { fields: { name: req("string"), ...CONDITIONS } }) },
  setInstructionBreakpoints: { breakpoints: req("array", { fields: { instructionReference: req("string"), offset: opt("integer"), ...CONDITIONS } }) },
  setExceptionBreakpoints: { filters: req("array", { of: "string" }), filterOptions: opt("array", { fields: { filterId: req("string"), condition: opt("string") } }) },
  dataBreakpointInfo: { name: req("string"), variablesReference: opt("integer"), frameId: opt("integer") },
  setDataBreakpoints: { breakpoints: req("array", { fields: { dataId: req("string"), accessType: opt("string"), ...CONDITIONS } }) },
  breakpointLocations: { source: req("object", { fields: SOURCE }), line: req("integer"), column: opt("integer"), endLine: opt("integer"), endColumn: opt("integer") },
  continue: { threadId: opt("integer"), singleThread: opt("boolean") },
  next: { ...THREAD, granularity: opt("string"), singleThread: opt("boolean") },
  stepIn: { ...THREAD, targetId: opt("integer"), granularity: opt("string"), singleThread: opt("boolean") },
  stepOut: { ...THREAD, granularity: opt("string"), singleThread: opt("boolean") },
  stepInTargets: { frameId: req("integer") },
  restartFrame: { frameId: req("integer") },
  pause: { threadId: opt("integer") },
  goto: { ...THREAD, targetId: req("integer") },
  gotoTargets: { source: req("object", { fields: SOURCE }), line: req("integer"), column: opt("integer") },
  stackTrace: { ...THREAD, startFrame: opt("integer"), levels: opt("integer"), format: opt("object") },
  scopes: { frameId: req("integer") },
  variables: { variablesReference: req("integer"), filter: opt("string"), start: opt("integer"), count: opt("integer"), format: opt("object", { fields: VALUE_FORMAT }) },
  setVariable: { variablesReference: req("integer"), name: req("string"), value: req("string"), format: opt("object", { fields: VALUE_FORMAT }) },
  setExpression: { expression: req("string"), value: req("string"), frameId: opt("integer"), format: opt("object", { fields: VALUE_FORMAT }) },
  evaluate: { expression: req("string"), frameId: opt("integer"), context: opt("string"), format: opt("object", { fields: VALUE_FORMAT }) },
  completions: { text: req("string"), column: req("integer"), frameId: opt("integer"), line: opt("integer") },
  exceptionInfo: THREAD,
  disassemble: { memoryReference: req("string"), offset: opt("integer"), instructionOffset: opt("integer"), instructionCount: req("integer"), resolveSymbols: opt("boolean") },
  readMemory: { memoryReference: req("string"), offset: opt("integer"), count: req("integer") },
  writeMemory: { memoryReference: req("string"), offset: opt("integer"), allowPartial: opt("boolean"), data: req("string") },
  modules: { startModule: opt("integer"), moduleCount: opt("integer") },
  cancel: { requestId: opt("integer"), progressId: opt("string") },
};

/** Throws a bad-argument error naming the first field of `args` that does not fit `command`'s shape. */
export function checkArguments(command: string, args: unknown): void {
  const shape = REQUEST_SHAPES[command];
  if (!shape) return;
  if (args === undefined || args === null) args = {};
  if (typeof args !== "object" || Array.isArray(args)) throw badArgument(`${command}: the arguments must be an object`);
  check(command, shape, args as Record<string, unknown>, "");
}

/** Each shape's fields as a list, made once: every request is checked, most of them small and frequent. */
const FIELDS = new Map<Shape, [string, Field][]>();

function fieldsOf(shape: Shape): [string, Field][] {
  let f = FIELDS.get(shape);
  if (!f) FIELDS.set(shape, (f = Object.entries(shape)));
  return f;
}

function check(command: string, shape: Shape, value: Record<string, unknown>, path: string): void {
  for (const [name, field] of fieldsOf(shape)) {
    const v = value[name];
    if (v === undefined || v === null) {
      if (field.required) throw badArgument(`${command}: '${path}${name}' is required (${article(field.kind)})`);
      continue;
    }
    if (!fits(field.kind, v)) throw badArgument(`${command}: '${path}${name}' must be ${article(field.kind)}, not ${describe(v)}`);
    if (field.kind === "object" && field.fields) check(command, field.fields, v as Record<string, unknown>, `${path}${name}.`);
    if (field.kind === "array") {
      (v as unknown[]).forEach((item, i) => {
        const at = `${path}${name}[${i}]`;
        if (field.of && !fits(field.of, item)) throw badArgument(`${command}: '${at}' must be ${article(field.of)}, not ${describe(item)}`);
        if (field.fields) {
          if (!fits("object", item)) throw badArgument(`${command}: '${at}' must be an object, not ${describe(item)}`);
          check(command, field.fields, item as Record<string, unknown>, `${at}.`);
        }
      });
    }
  }
}

function fits(kind: Kind, v: unknown): boolean {
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "integer":
      return typeof v === "number" && Number.isSafeInteger(v);
    case "boolean":
      return typeof v === "boolean";
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
    case "array":
      return Array.isArray(v);
  }
}

function article(kind: Kind): string {
  return kind === "integer" || kind === "object" || kind === "array" ? `an ${kind}` : `a ${kind}`;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number" && !Number.isSafeInteger(v)) return `the number ${v}`;
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}
