/**
 * Named pipes (FIFOs), as Linux's fs/fifo.c gives them: the node is a host FIFO (mknod made it in
 * the layer the path's changes go to), but the bytes never pass through it. Every open of the
 * node, in any process of the family, is connected to one emulated pipe, found by the node's host
 * identity (device and inode, so that every name of it finds the same pipe); the pipe exists while
 * some end is open or being opened and is dropped with the last one, so the next open starts empty
 * (with the default size) as on Linux. Who may open, and who waits, is syscalls/fifo-open.ts's.
 */
import { Pipe } from "./pipes.js";

/** The pipe of an open FIFO: its ends are opened by path, none yet when it is made. */
export class NamedPipe extends Pipe {
  constructor(private readonly unused: (p: NamedPipe) => void) {
    super();
    this.opened.read = 0;
    this.opened.write = 0;
  }

  /** No end is open or being opened any more (FdTable says so): the pipe and its bytes go. */
  release(): void {
    this.unused(this);
  }
}

interface Node {
  dev: number;
  ino: number;
}

const keyOf = (n: Node): string => `${n.dev}:${n.ino}`;

/** The family's FIFOs that are open now, by node. */
export class FifoTable {
  private readonly pipes = new Map<string, NamedPipe>();

  /** The pipe of the node with host identity `dev`/`ino` while some end of it is open. */
  openPipe(node: Node): NamedPipe | undefined {
    return this.pipes.get(keyOf(node));
  }

  /** The pipe of the node: the one open now, or a new one. */
  pipeOf(node: Node): NamedPipe {
    const key = keyOf(node);
    let p = this.pipes.get(key);
    if (!p) {
      p = new NamedPipe((gone) => {
        if (this.pipes.get(key) === gone) this.pipes.delete(key);
      });
      this.pipes.set(key, p);
    }
    return p;
  }
}
