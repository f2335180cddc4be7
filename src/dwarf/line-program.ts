/** Runs a line-number program (the DWARF state machine) and returns its rows, grouped in sequences. */
import { ByteReader } from "./byte-reader.js";
import { DW_LNE, DW_LNS } from "./constants.js";
import { DwarfError } from "./errors.js";
import { linePlace, type LineProgramHeader } from "./line-header.js";

export interface LineRow {
  readonly address: bigint;
  /** File register value (index into header.files). */
  readonly fileIndex: number;
  /** Full path of the file. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly isStmt: boolean;
  readonly basicBlock: boolean;
  readonly endSequence: boolean;
  readonly prologueEnd: boolean;
  readonly epilogueBegin: boolean;
  readonly discriminator: number;
}

/** Rows in one sequence, ordered by address, the last one with endSequence set. */
export type LineSequence = LineRow[];

/** Runs the program of `header` over .debug_line `data` (of the file at `path`, for errors). */
export function runLineProgram(data: Uint8Array, header: LineProgramHeader, path: string): LineSequence[] {
  const r = new ByteReader(data, linePlace(path, header.offset), header.programStart, header.end);
  const files = [...header.files];
  const sequences: LineSequence[] = [];
  let rows: LineRow[] = [];

  let address = 0n;
  let opIndex = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let isStmt = header.defaultIsStmt;
  let basicBlock = false;
  let prologueEnd = false;
  let epilogueBegin = false;
  let discriminator = 0;
  const reset = (): void => {
    address = 0n; opIndex = 0; file = 1; line = 1; column = 0; isStmt = header.defaultIsStmt;
    basicBlock = false; prologueEnd = false; epilogueBegin = false; discriminator = 0;
  };
  const minInst = BigInt(header.minInstLength);
  const maxOps = Math.max(1, header.maxOpsPerInst);
  const advance = (operationAdvance: number): void => {
    if (maxOps === 1) {
      address += BigInt(operationAdvance) * minInst;
    } else {
      const total = opIndex + operationAdvance;
      address += minInst * BigInt(Math.floor(total / maxOps));
      opIndex = total % maxOps;
    }
  };
  const emit = (endSequence: boolean): void => {
    rows.push({
      address, fileIndex: file, file: files[file]?.path ?? `<file ${file}>`, line, column, isStmt, basicBlock,
      endSequence, prologueEnd, epilogueBegin, discriminator,
    });
    basicBlock = false; prologueEnd = false; epilogueBegin = false; discriminator = 0;
  };

  while (!r.atEnd) {
    const at = r.pos;
    const op = r.u8();
    if (op >= header.opcodeBase) {
      const adj = op - header.opcodeBase;
      advance(Math.floor(adj / header.lineRange));
      line += header.lineBase + (adj % header.lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.ulebNum();
        if (len === 0) throw new DwarfError("DWARF_CORRUPT", r.whereAt(at), `extended opcode with length 0${r.inRecord}`);
        const body = r.sub(len);
        r.skip(len);
        const sub = body.u8();
        switch (sub) {
          case DW_LNE.end_sequence:
            emit(true);
            sequences.push(rows);
            rows = [];
            reset();
            break;
          case DW_LNE.set_address:
            address = body.address(len - 1);
            opIndex = 0;
            break;
          case DW_LNE.define_file: {
            const name = body.cstr();
            const dirIndex = body.ulebNum();
            files.push({ name, dirIndex, path: name });
            break;
          }
          case DW_LNE.set_discriminator:
            discriminator = body.ulebNum();
            break;
          default:
            break; // unknown extended opcodes are skipped by their length
        }
        break;
      }
      case DW_LNS.copy:
        emit(false);
        break;
      case DW_LNS.advance_pc:
        advance(r.ulebNum());
        break;
      case DW_LNS.advance_line:
        line += r.slebNum();
        break;
      case DW_LNS.set_file:
        file = r.ulebNum();
        break;
      case DW_LNS.set_column:
        column = r.ulebNum();
        break;
      case DW_LNS.negate_stmt:
        isStmt = !isStmt;
        break;
      case DW_LNS.set_basic_block:
        basicBlock = true;
        break;
      case DW_LNS.const_add_pc:
        advance(Math.floor((255 - header.opcodeBase) / header.lineRange));
        break;
      case DW_LNS.fixed_advance_pc:
        address += BigInt(r.u16());
        opIndex = 0;
        break;
      case DW_LNS.set_prologue_end:
        prologueEnd = true;
        break;
      case DW_LNS.set_epilogue_begin:
        epilogueBegin = true;
        break;
      case DW_LNS.set_isa:
        r.ulebNum();
        break;
      default: {
        // Unknown standard opcode: the header says how many ULEB operands to skip.
        const n = header.standardOpcodeLengths[op - 1] ?? 0;
        for (let i = 0; i < n; i++) r.uleb();
      }
    }
  }
  if (rows.length > 0) sequences.push(rows); // unterminated trailing sequence: keep what we have
  return sequences;
}
