// One room's WebSocket (`/api/ws/rooms/:slug`): reconnects with backoff and resumes by
// seq, so a dropped socket costs neither a gap nor a duplicate (docs/web.md).

import type { ClientFrame, ServerFrame } from './types';

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why the socket stopped for good: the caller must act (sign in again, ask for access). */
export type Fatal = { code: number; reason: string };

export interface SocketEvents {
  frame(f: ServerFrame): void;
  status(s: SocketStatus): void;
  /** The socket opened and its `sync` was applied: time to re-send what is pending. */
  synced(): void;
  fatal(why: Fatal): void;
  /** A handshake failed (a browser hides the status): the caller asks REST why. */
  refused(): void;
}

const BACKOFF_MS = [250, 1000, 2000, 4000, 8000, 15000];

// Close codes after which reconnecting blindly cannot help (docs/api.md, "Close codes"):
// 1008 = session revoked, logged out, room gated, or rate abuse.
const FATAL_CODES = new Set([1008]);

export class RoomSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** Closed with a fatal code and not retrying until the caller says so. */
  private halted = false;
  private everOpened = false;

  /**
   * @param resumeSeqs the highest seq the client holds per channel key; read at every
   *        reconnect so the server sends exactly what came after.
   */
  constructor(
    private readonly slug: string,
    private readonly resumeSeqs: () => Record<string, number>,
    private readonly on: SocketEvents,
  ) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = null;
  }

  /** Sends now if open; false when the frame must wait for the next connection. */
  send(frame: ClientFrame): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** After a fatal close the caller found harmless (the room still answers): try again, with backoff. */
  retry(): void {
    if (this.stopped || !this.halted) return;
    this.halted = false;
    // Not at once: whatever made Relay close with 1008 may still hold for a moment.
    this.attempt = Math.max(this.attempt, 3);
    this.schedule();
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Drops the socket as a network loss would, then reconnects (used by tests and on `online`). */
  reconnectNow(): void {
    clearTimeout(this.timer);
    this.attempt = 0;
    if (this.ws) this.ws.close(4000);
    else this.connect();
  }

  private url(): string {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const seqs = Object.entries(this.resumeSeqs()).filter(([, s]) => s > 0);
    const base = `${proto}//${location.host}/api/ws/rooms/${encodeURIComponent(this.slug)}`;
    if (!this.everOpened || seqs.length === 0) return base;
    const resume = seqs.map(([k, s]) => `${k}:${s}`).join(',');
    return `${base}?resume=${encodeURIComponent(resume)}`;
  }

  private connect(): void {
    if (this.stopped) return;
    this.on.status(this.everOpened ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.url());
    this.ws = ws;
    let opened = false;
    ws.onopen = () => { opened = true; };
    ws.onmessage = (ev) => {
      let frame: ServerFrame;
      try { frame = JSON.parse(String(ev.data)) as ServerFrame; } catch { return; }
      this.on.frame(frame);
      if (frame.type === 'sync') {
        this.everOpened = true;
        this.attempt = 0;
        this.on.status('open');
        this.on.synced();
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return; // an older socket we already replaced
      this.ws = null;
      if (this.stopped) return;
      if (FATAL_CODES.has(ev.code)) {
        this.halted = true;
        this.on.status('closed');
        this.on.fatal({ code: ev.code, reason: ev.reason });
        return;
      }
      // A handshake refused with 401/403/404 looks like any failed connect; the caller
      // checks over REST and stops us if it was a refusal. Meanwhile: back off.
      if (!opened) this.on.refused();
      this.schedule();
    };
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.on.status('reconnecting');
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] ?? 15000;
    this.attempt += 1;
    // Jitter, so a restarted server is not hit by every client in the same millisecond.
    const delay = base / 2 + Math.random() * base / 2;
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
