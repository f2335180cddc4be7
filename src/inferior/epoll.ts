/**
 * An epoll instance's interest list: which descriptors it watches, for which events, and the
 * user data each reports. Readiness is computed when epoll_wait asks (syscalls/poll.ts), level-
 * triggered by default; EPOLLET reports a descriptor again only once it has changed since
 * (its object's generation), EPOLLONESHOT once until re-armed by EPOLL_CTL_MOD.
 */
import type { OpenFile } from "./files.js";

export interface EpollItem {
  /** The descriptor it was added under, and the open file it meant (closing every descriptor of it drops the item, as Linux does). */
  readonly fd: number;
  readonly file: OpenFile;
  events: number;
  data: bigint;
  /** EPOLLET: what it was when last reported (its wake-ups and mask). */
  reported?: string;
  /** EPOLLONESHOT after its report: nothing more until EPOLL_CTL_MOD. */
  disarmed: boolean;
}

let nextInode = 1 << 20;

export class EpollSet {
  items = new Map<number, EpollItem>();
  readonly inode = nextInode++;

  save(): () => void {
    const items = new Map([...this.items].map(([fd, it]) => [fd, { ...it }]));
    return () => {
      this.items = new Map([...items].map(([fd, it]) => [fd, { ...it }]));
    };
  }
}
