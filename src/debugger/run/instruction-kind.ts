/** Calls and returns told from other instructions by their bytes, as the stepper needs them. */

export type Classified = "call" | "ret" | "other";

/** Whether an instruction is a call or a return, from its bytes (legacy and REX prefixes skipped). */
export function classifyInstruction(bytes: Uint8Array): Classified {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const isPrefix = b === 0x66 || b === 0x67 || b === 0xf2 || b === 0xf3 || b === 0x2e || b === 0x3e || b === 0x26 || b === 0x64 || b === 0x65 || b === 0x36 || (b >= 0x40 && b <= 0x4f);
    if (!isPrefix) break;
    i++;
  }
  const op = bytes[i];
  if (op === 0xe8) return "call";
  if (op === 0xc3 || op === 0xc2) return "ret";
  if (op === 0xff) {
    const reg = ((bytes[i + 1] ?? 0) >> 3) & 7;
    if (reg === 2 || reg === 3) return "call";
  }
  return "other";
}
