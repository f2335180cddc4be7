/**
 * The children a value shows when expanded in Variables or Watch, with the expression that names
 * each. A pointer to a struct or union shows the pointee's members directly (`p` → `p->x`), as
 * LLDB, CodeLLDB and cpptools do, instead of an extra `*p` level; any other pointer shows its one
 * pointee, named `*p`; arrays show their elements and structs their members.
 */
import { PointerType, StructType, type DwarfType } from "../../dwarf/index.js";
import { children, scalarOf, strip, type Memory, type NamedValue, type Value } from "../../values/value.js";

export interface ShownChild extends NamedValue {
  /** An expression naming the child ("" when the parent has none). */
  evaluateName: string;
}

export function shownChildren(parent: Value, evaluateName: string, memory: Memory, start = 0, count?: number): ShownChild[] {
  const pointee = structPointee(parent, memory);
  const [shown, separator] = pointee ? ([pointee, "->"] as const) : ([parent, "."] as const);
  return children(shown, start, count, memory).map((k) => {
    const name = childName(evaluateName, k.name, separator);
    // The pointee is shown as what names it (`*p`, as LLDB does), when something does.
    return { ...k, name: k.name === "*" && name !== "" ? name : k.name, evaluateName: name };
  });
}

/** The struct or union a pointer points to (not for null or unreadable pointers: they have no members to show). */
function structPointee(v: Value, memory: Memory): Value | undefined {
  const t = strip(v.type);
  if (!(t instanceof PointerType) || !isAggregate(t.target)) return undefined;
  const p = scalarOf(memory, v);
  if (typeof p !== "bigint" || p === 0n) return undefined;
  return { type: t.target, location: { kind: "memory", address: p } };
}

function isAggregate(t: DwarfType): boolean {
  const s = strip(t);
  return s instanceof StructType && !s.isDeclaration;
}

/** `c.x`, `p->x`, `a[2]`, `*p`; the parent in parentheses unless it is a postfix expression already. */
function childName(parent: string, child: string, separator: "." | "->"): string {
  if (parent === "" || child.startsWith("<")) return ""; // no name reaches it (an anonymous member)
  const operand = POSTFIX.test(parent) ? parent : `(${parent})`;
  if (child === "*") return `*${operand}`;
  if (child.startsWith("[")) return `${operand}${child}`;
  return `${operand}${separator}${child}`;
}

/** A name followed by member accesses and subscripts without nested brackets (`a.b->c[3]`): it binds tighter than `*`, `.` and `[]` need. */
const POSTFIX = /^[A-Za-z_$][\w$]*(?:(?:\.|->)[A-Za-z_]\w*|\[[^\][()]*\])*$/;
