/** Public surface of the DWARF reader. */
export { Dwarf, type FunctionAtPc, type LineAddresses } from "./dwarf.js";
export { DwarfSections, type DwarfSection, type SectionsOptions } from "./sections.js";
export { DebugInfo, type ParseStats, type UnitErrorRecord } from "./debug-info.js";
export { Unit } from "./unit.js";
export type { UnitHeader } from "./unit-header.js";
export { Die, type Attribute } from "./die.js";
export type { AttrValue } from "./forms.js";
export { DwarfError } from "./errors.js";
export { DW_AT, DW_TAG, DW_FORM, DW_ATE } from "./constants.js";
export { LineTable } from "./line-table.js";
export type { LineRow } from "./line-program.js";
export type { LineProgramHeader, LineFile } from "./line-header.js";
export { CallFrameInfo, type CfiOptions, type SavedRegisterHome, type UnwindCallbacks, type UnwindOptions, type UnwindResult } from "./cfi.js";
export type { CfaRule, RegisterRule, CfiRow } from "./cfi-rules.js";
export type { Cie, Fde } from "./cfi-entries.js";
export { evaluateLocation, evaluateValue, type ExprContext, type Location, type SimpleLocation, type Piece } from "./expr-eval.js";
export { formatExpression } from "./expr-ops.js";
export { selectLocation, type LocationListEntry } from "./loclists.js";
export type { AddressRange } from "./ranges.js";
export { X86_64_DWARF_REGISTERS, DWARF_REG, dwarfRegisterName } from "./registers.js";
export {
  TypeFactory, declarator, VoidType, BaseType, PointerType, QualifiedType, TypedefType, StructType, EnumType, ArrayType,
  FunctionType, UnspecifiedType, type DwarfType, type Member, type Enumerator, type TypeKind,
} from "./types.js";
export { Variable, Scope, FunctionScope, InlinedScope, type UnitModel, type VariableLocation, type VariableKind, type SourcePosition } from "./program.js";
export { locateVariable, frameBaseAt, type FrameContext } from "./locate.js";
export { enumerators } from "./enumerators.js";
