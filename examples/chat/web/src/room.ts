// What the page knows about one joined room.

import type { Message, RoomName } from "../../../generated/chat";

/** How long "someone is typing" stays up after their last `typing` event. */
const TYPING_SHOWN_MS = 3_000;

export class Room {
  /** The members, in the order they joined (the last `presence`). */
  users: string[] = [];
  /** Messages that arrived while another room was shown. */
  unread = 0;
  private readonly byId = new Map<number, Message>();
  private readonly typists = new Map<string, number>();

  constructor(
    readonly name: RoomName,
    private readonly onTypingChange: () => void,
  ) {}

  /**
   * Adds messages, from a `join` history or a `message` event; the ones already
   * known (same id) are skipped. Returns the new ones.
   */
  add(messages: Message[]): Message[] {
    const added = messages.filter((message) => !this.byId.has(message.id));
    for (const message of added) {
      this.byId.set(message.id, message);
      this.stoppedTyping(message.from);
    }
    return added;
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
