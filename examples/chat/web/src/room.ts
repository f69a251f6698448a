// What the page knows about one joined room.

import type { Message, RoomName } from "../../../generated/chat";

/** How long "someone is typing" stays up after their last `typing` event. */
const TYPING_SHOWN_MS = 3_000;

export class Room {
  /** The members, in the order they joined (the last `presence`). */
  users: string[] = [];
  /** Messages that arrived while another room was shown. */
  unread = 0;
  /** Whether the server answered the last `join`: only then can the user say something. */
  joined = false;
  private byId = new Map<number, Message>();
  /** Messages that arrived since `join` was sent, while its answer is awaited. */
  private sinceJoin: Message[] = [];
  private readonly typists = new Map<string, number>();

  constructor(
    readonly name: RoomName,
    private readonly onTypingChange: () => void,
  ) {}

  /** Notes that `join` was sent (again, after a reconnection). */
  joining(): void {
    this.joined = false;
    this.sinceJoin = [];
  }

  /**
   * Takes the answer to `join`: the room's history, and what arrived since `join`
   * was sent. What was shown before goes: a restarted server has forgotten it, and
   * numbers its messages from 1 again.
   */
  joinedWith(history: Message[]): void {
    const all = [...history, ...this.sinceJoin];
    this.byId = new Map(all.map((message) => [message.id, message]));
    this.sinceJoin = [];
    this.joined = true;
  }

  /** Notes that the connection was lost: members unknown until joined again. */
  disconnected(): void {
    this.joined = false;
    this.users = [];
  }

  /** Adds a message from a `message` event; false if it was known already. */
  add(message: Message): boolean {
    if (this.byId.has(message.id)) {
      return false;
    }
    this.byId.set(message.id, message);
    if (!this.joined) {
      this.sinceJoin.push(message);
    }
    this.stoppedTyping(message.from);
    return true;
  }

  /** Every message, oldest first (ids increase with every message). */
  messages(): Message[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  /** Notes that `from` is typing, for a few seconds. */
  typing(from: string): void {
    window.clearTimeout(this.typists.get(from));
    this.typists.set(
      from,
      window.setTimeout(() => this.stoppedTyping(from), TYPING_SHOWN_MS),
    );
    this.onTypingChange();
  }

  /** Who is typing now. */
  typingNames(): string[] {
    return [...this.typists.keys()];
  }

  /** Forgets every pending "is typing". */
  close(): void {
    for (const timer of this.typists.values()) {
      window.clearTimeout(timer);
    }
    this.typists.clear();
  }

  private stoppedTyping(from: string): void {
    if (this.typists.delete(from)) {
      this.onTypingChange();
    }
  }
}
