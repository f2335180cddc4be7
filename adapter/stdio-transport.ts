/**
 * DAP on the adapter's stdin and stdout with the least work per message. At a stop the client
 * waits on one small request after another, and a Node stream's machinery on both ends (pushing
 * each chunk through a Readable, its next-tick reads, a Writable's queue) cost about as much as
 * answering: here stdin is read into one buffer (net.Socket's onread), its frames parsed where
 * they lie and handed to the session (and, for a moment after the answers, read without waiting
 * for the kernel to wake the adapter: InputPoll), and each message goes out in one write system call. What
 * stdout does not take at once (a full pipe) goes to the process.stdout stream, which writes it
 * as the client reads, and everything after it goes there too until it has; errors (the client
 * gone) are that stream's, reported as always. A stdin that is no pipe or socket (a file, a
 * terminal) is read by process.stdin as before.
 */
import { fstatSync, readSync, writeSync } from "node:fs";
import { Socket, type ConnectOpts, type SocketConstructorOpts } from "node:net";
import { availableParallelism } from "node:os";
import { Event as DapEvent } from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";

/** What the transport needs of a session: @vscode/debugadapter's ProtocolServer. */
export interface StdioSession {
  start(inStream: NodeJS.ReadableStream, outStream: NodeJS.WritableStream): void;
  handleMessage(message: DebugProtocol.ProtocolMessage): void;
  emit(event: "error", body: DapEvent): boolean;
  /** Whether every request is answered and nothing runs: the next input is the client's next request (see InputPoll). */
  quiet?(): boolean;
}

/**
 * How long the input is polled after the last request was answered before the adapter sleeps.
 * A client asks in bursts (VS Code at a stop: threads, stackTrace, scopes, variables, each sent
 * when the last is answered), the next request some tens of microseconds after an answer. Asleep,
 * the adapter is woken for it by the kernel, and on a virtual machine that wake-up (an
 * interrupt to an idle virtual CPU) was most of a small request's round trip: 0.12 ms for
 * `threads` here, 0.07 ms polling.
 */
const POLL_AFTER_ANSWER_NS = 200_000n;

const HEADER_END = Buffer.from("\r\n\r\n");
const CONTENT_LENGTH = /Content-Length:\s*(\d+)/i;

export function serveStdio(session: StdioSession): void {
  const output = new DescriptorOutput(1, process.stdout) as unknown as NodeJS.WritableStream;
  const stdin = fstatSync(0);
  if (!stdin.isFIFO() && !stdin.isSocket()) {
    // A file or a terminal (requests replayed from a file, typed by hand): read as Node reads those.
    session.start(process.stdin, output);
    return;
  }
  const frames = new FrameReader((text) => {
    // As the library's own reader: a message that is no JSON, or that its handler throws on, is the session's 'error'.
    try {
      session.handleMessage(JSON.parse(text) as DebugProtocol.ProtocolMessage);
    } catch (e) {
      session.emit("error", new DapEvent("error", `Error handling data: ${(e as Error).message}`));
    }
  });
  const buffer = Buffer.alloc(64 * 1024);
  const poll = InputPoll.possible() && session.quiet ? new InputPoll(0, buffer, frames, () => session.quiet!()) : undefined;
  const callback = (n: number): true => {
    frames.take(buffer.subarray(0, n));
    poll?.afterInput();
    return true;
  };
  const input = new Socket({ fd: 0, readable: true, writable: false, onread: { buffer, callback } } as SocketConstructorOpts & ConnectOpts);
  // The session watches the input's end and errors as it would a stream's; its data comes from the reader.
  session.start(input, output);
}

/** Content-Length framed JSON messages out of the chunks read, a message split across chunks kept until it is whole. */
class FrameReader {
  private pending: Buffer | undefined;

  constructor(private readonly deliver: (text: string) => void) {}

  /** `chunk` is only valid during the call (the read buffer is reused). */
  take(chunk: Buffer): true {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    for (;;) {
      const headerEnd = buf.indexOf(HEADER_END);
      if (headerEnd < 0) break;
      const length = CONTENT_LENGTH.exec(buf.toString("latin1", 0, headerEnd));
      const start = headerEnd + HEADER_END.length;
      if (!length) {
        // Not a DAP header (the library skipped such headers too): drop it and read on.
        buf = buf.subarray(start);
        continue;
      }
      const end = start + Number(length[1]);
      if (buf.length < end) break;
      const text = buf.toString("utf8", start, end);
      buf = buf.subarray(end);
      if (text.length > 0) this.deliver(text);
    }
    if (buf.length > 0) this.pending = Buffer.from(buf);
    return true;
  }
}

/**
 * Reads the input for a moment after the requests it brought are answered, while the session is
 * quiet, so that the client's next request is taken as it comes rather than after a wake-up.
 * The descriptor is the socket's own (libuv made it non-blocking): a read with nothing there fails
 * with EAGAIN; what is read goes to the same frame reader, in order, and the socket reads on from
 * where the poll left off. The end of the input and errors are left to the socket, which sees
 * them too. Not on a single processor, where polling would hold up the client it waits for.
 */
class InputPoll {
  static possible(): boolean {
    return process.platform === "linux" && availableParallelism() > 1;
  }

  constructor(
    private readonly fd: number,
    private readonly buffer: Buffer,
    private readonly frames: FrameReader,
    private readonly quiet: () => boolean,
  ) {}

  afterInput(): void {
    let deadline = process.hrtime.bigint() + POLL_AFTER_ANSWER_NS;
    while (this.quiet() && process.hrtime.bigint() < deadline) {
      let n: number;
      try {
        n = readSync(this.fd, this.buffer, 0, this.buffer.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EAGAIN") continue;
        return;
      }
      if (n === 0) return;
      this.frames.take(this.buffer.subarray(0, n));
      deadline = process.hrtime.bigint() + POLL_AFTER_ANSWER_NS;
    }
  }
}

/**
 * Writes each message to the descriptor in one system call while the stream holds nothing, in
 * order after what it holds otherwise.
 */
class DescriptorOutput {
  constructor(
    private readonly fd: number,
    private readonly stream: NodeJS.WritableStream & { readonly writableLength: number },
  ) {}

  write(text: string): boolean {
    if (this.stream.writableLength > 0) return this.stream.write(text);
    let written: number;
    try {
      written = writeSync(this.fd, text);
    } catch (e) {
      // EAGAIN (nothing taken) or an error of the descriptor (EPIPE): the stream retries it or reports it.
      if ((e as NodeJS.ErrnoException).code === undefined) throw e;
      return this.stream.write(text);
    }
    return written === Buffer.byteLength(text) || this.stream.write(Buffer.from(text).subarray(written));
  }

  on(event: string, listener: (...args: unknown[]) => void): this {
    this.stream.on(event, listener);
    return this;
  }

  end(): void {
    this.stream.end();
  }
}
