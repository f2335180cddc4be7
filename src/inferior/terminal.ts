/**
 * The emulated terminal a debug session's standard streams may be (pts/0 as the program sees it):
 * its termios settings, window size and foreground process group, and the tty ioctls on them
 * (tcgetattr/tcsetattr, TIOCGWINSZ, tcgetpgrp, tcflush, tcdrain). It has no line discipline of its
 * own: the real terminal at the other end (the relay's, see adapter/terminal-relay.ts) edits
 * lines and echoes, told of each mode the program sets (`onModeChange`).
 */
import * as E from "./errno.js";

/** The kernel's struct termios (TCGETS: 4 flag words, c_line, 19 c_cc) and termios2 (TCGETS2: + c_ispeed, c_ospeed). */
const TERMIOS_SIZE = 36;
const TERMIOS2_SIZE = 44;

const TCGETS = 0x5401n;
const TCSETS = 0x5402n;
const TCSETSW = 0x5403n;
const TCSETSF = 0x5404n;
const TCSBRK = 0x5409n;
const TCXONC = 0x540an;
const TCFLSH = 0x540bn;
const TIOCSCTTY = 0x540en;
const TIOCGPGRP = 0x540fn;
const TIOCSPGRP = 0x5410n;
const TIOCOUTQ = 0x5411n;
const TIOCGWINSZ = 0x5413n;
const TIOCSWINSZ = 0x5414n;
const FIONREAD = 0x541bn;
const TIOCNOTTY = 0x5422n;
const TIOCGSID = 0x5429n;
const TCGETS2 = 0x802c542an;
const TCSETS2 = 0x402c542bn;
const TCSETSW2 = 0x402c542cn;
const TCSETSF2 = 0x402c542dn;
const TCSBRKP = 0x5425n;

/** c_lflag bits the relay mirrors. */
export const ICANON = 0o2;
export const ECHO = 0o10;
export const ISIG = 0o1;
/** c_iflag ICRNL (CR read as NL), c_oflag OPOST (output processing: NL written as CR NL). */
export const ICRNL = 0o400;
export const OPOST = 0o1;
const VTIME = 5;
const VMIN = 6;

/** What the relay needs to put its real terminal in the program's mode. */
export interface TerminalMode {
  canonical: boolean;
  echo: boolean;
  signals: boolean;
  crToNl: boolean;
  outputProcessing: boolean;
  /** Raw reads: at least `min` bytes, or `time` tenths of a second. */
  min: number;
  time: number;
}

export interface WindowSize {
  rows: number;
  cols: number;
}

/** What an ioctl needs of the calling process: its memory, its ids, and room to raise SIGWINCH. */
export interface TtyCaller {
  readonly pid: number;
  readUser(at: bigint, length: number): Uint8Array | undefined;
  writeUser(at: bigint, data: Uint8Array): boolean;
  /** Bytes of input waiting to be read (FIONREAD). */
  pendingInput(): number;
  /** Drops input not yet read (tcflush TCIFLUSH). */
  flushInput(): void;
}

/** A pseudo-terminal's settings when a shell hands it to a program: cooked, echoing, 38400 baud, UTF-8 (`stty sane`). */
function saneTermios(): Uint8Array {
  const t = new Uint8Array(TERMIOS_SIZE);
  const v = new DataView(t.buffer);
  v.setUint32(0, 0o400 | 0o2000 | 0o40000, true); // ICRNL IXON IUTF8
  v.setUint32(4, OPOST | 0o4, true); // OPOST ONLCR
  v.setUint32(8, 0o17 | 0o60 | 0o200, true); // B38400 CS8 CREAD
  v.setUint32(12, ISIG | ICANON | ECHO | 0o20 | 0o40 | 0o1000 | 0o4000 | 0o100000, true); // … ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
  // VINTR ^C, VQUIT ^\, VERASE DEL, VKILL ^U, VEOF ^D, VTIME 0, VMIN 1, VSWTC, VSTART ^Q, VSTOP ^S, VSUSP ^Z, VEOL, VREPRINT ^R, VDISCARD ^O, VWERASE ^W, VLNEXT ^V, VEOL2
  t.set([3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0], 17);
  return t;
}

const BAUD_38400 = 38400;

export class Terminal {
  /** The device's number (136, 0: /dev/pts/0) and devpts's st_dev, for fstat, stat and ttyname. */
  static readonly RDEV = (136 << 8) | 0;
  static readonly DEV = 0x19;
  static readonly INODE = 3;
  static readonly PATH = "/dev/pts/0";

  private termios = saneTermios();
  private size: WindowSize;
  private foreground: number | undefined;
  private readonly modeListeners = new Set<(mode: TerminalMode) => void>();
  private readonly resizeListeners = new Set<() => void>();

  constructor(size: WindowSize = { rows: 24, cols: 80 }) {
    this.size = { ...size };
  }

  get windowSize(): WindowSize {
    return { ...this.size };
  }

  get mode(): TerminalMode {
    const v = new DataView(this.termios.buffer);
    const lflag = v.getUint32(12, true);
    return {
      canonical: (lflag & ICANON) !== 0,
      echo: (lflag & ECHO) !== 0,
      signals: (lflag & ISIG) !== 0,
      crToNl: (v.getUint32(0, true) & ICRNL) !== 0,
      outputProcessing: (v.getUint32(4, true) & OPOST) !== 0,
      min: this.termios[17 + VMIN]!,
      time: this.termios[17 + VTIME]!,
    };
  }

  /** Told of every tcsetattr that changes the mode (the relay mirrors it on the real terminal). */
  onModeChange(listener: (mode: TerminalMode) => void): () => void {
    this.modeListeners.add(listener);
    return () => this.modeListeners.delete(listener);
  }

  /** Told when the window size changes (the process raises SIGWINCH, as the kernel does). */
  onResize(listener: () => void): () => void {
    this.resizeListeners.add(listener);
    return () => this.resizeListeners.delete(listener);
  }

  /** Back to the settings a shell hands a program (cooked, echoing), telling the listeners if that changes the mode. */
  resetMode(): void {
    this.changeTermios(saneTermios());
  }

  /** The real terminal was resized (the relay's SIGWINCH). */
  resize(size: WindowSize): void {
    if (size.rows === this.size.rows && size.cols === this.size.cols) return;
    this.size = { ...size };
    for (const l of this.resizeListeners) l();
  }

  /** A tty ioctl on a descriptor of this terminal: 0 or a value, or -errno; undefined when `request` is no tty request. */
  ioctl(caller: TtyCaller, request: bigint, arg: bigint): bigint | undefined {
    switch (request) {
      case TCGETS:
      case TCGETS2:
        return this.getAttributes(caller, arg, request === TCGETS2);
      case TCSETS:
      case TCSETSW:
      case TCSETSF:
      case TCSETS2:
      case TCSETSW2:
      case TCSETSF2:
        if (request === TCSETSF || request === TCSETSF2) caller.flushInput();
        return this.setAttributes(caller, arg, request === TCSETS2 || request === TCSETSW2 || request === TCSETSF2);
      case TIOCGWINSZ: {
        const b = new Uint8Array(8);
        const v = new DataView(b.buffer);
        v.setUint16(0, this.size.rows, true);
        v.setUint16(2, this.size.cols, true);
        return caller.writeUser(arg, b) ? 0n : E.fail(E.EFAULT);
      }
      case TIOCSWINSZ: {
        const b = caller.readUser(arg, 8);
        if (!b) return E.fail(E.EFAULT);
        const v = new DataView(b.buffer, b.byteOffset);
        this.resize({ rows: v.getUint16(0, true), cols: v.getUint16(2, true) });
        return 0n;
      }
      case TIOCGPGRP:
      case TIOCGSID:
        return this.writeInt(caller, arg, request === TIOCGPGRP ? (this.foreground ?? caller.pid) : caller.pid);
      case TIOCSPGRP: {
        const b = caller.readUser(arg, 4);
        if (!b) return E.fail(E.EFAULT);
        this.foreground = new DataView(b.buffer, b.byteOffset).getInt32(0, true);
        return 0n;
      }
      case FIONREAD:
        return this.writeInt(caller, arg, caller.pendingInput());
      case TIOCOUTQ:
        return this.writeInt(caller, arg, 0); // output leaves at once
      case TCFLSH:
        if (arg > 2n) return E.fail(E.EINVAL);
        if (arg !== 1n) caller.flushInput(); // TCIFLUSH or TCIOFLUSH
        return 0n;
      case TCSBRK: // tcdrain, tcsendbreak: output is never queued
      case TCSBRKP:
      case TCXONC:
      case TIOCSCTTY: // it is the controlling terminal already
      case TIOCNOTTY:
        return 0n;
      default:
        return undefined;
    }
  }

  private getAttributes(caller: TtyCaller, at: bigint, two: boolean): bigint {
    const out = new Uint8Array(two ? TERMIOS2_SIZE : TERMIOS_SIZE);
    out.set(this.termios);
    if (two) {
      const v = new DataView(out.buffer);
      v.setUint32(36, BAUD_38400, true);
      v.setUint32(40, BAUD_38400, true);
    }
    return caller.writeUser(at, out) ? 0n : E.fail(E.EFAULT);
  }

  private setAttributes(caller: TtyCaller, at: bigint, two: boolean): bigint {
    const b = caller.readUser(at, two ? TERMIOS2_SIZE : TERMIOS_SIZE);
    if (!b) return E.fail(E.EFAULT);
    this.changeTermios(b.slice(0, TERMIOS_SIZE));
    return 0n;
  }

  private changeTermios(termios: Uint8Array): void {
    const before = JSON.stringify(this.mode);
    this.termios = termios;
    const mode = this.mode;
    if (JSON.stringify(mode) !== before) for (const l of this.modeListeners) l(mode);
  }

  private writeInt(caller: TtyCaller, at: bigint, n: number): bigint {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n, true);
    return caller.writeUser(at, b) ? 0n : E.fail(E.EFAULT);
  }
}
