// Every event of the chat contract through socket.io-client's types, typed by the
// generated examples/generated/chat.ts. Each `@ts-expect-error` line must fail to
// type-check (tsc reports an unused directive otherwise).

import { io, type Socket } from "socket.io-client";

import type {
  AuthPayload,
  ChatError,
  ChatErrorCode,
  ClientToServerEvents,
  Message,
  RoomName,
  ServerToClientEvents,
} from "../../../examples/generated/chat";

const auth = { name: "ada" } satisfies AuthPayload;
// @ts-expect-error: the auth payload has `name`, not `nick`.
const badAuth = { nick: "ada" } satisfies AuthPayload;

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io("http://localhost:3000", {
  auth,
});

// Server → client: listeners get the declared argument types.
socket.on("message", (msg) => {
  const id: number = msg.id;
  const at: number = msg.at;
  const room: RoomName = msg.room;
  const text: string = `${msg.from}: ${msg.text}`;
  void [id, at, room, text];
});
socket.on("presence", (room, users) => {
  const names: string[] = users;
  void [room, names];
});
socket.on("typing", (room: string, from: string) => void [room, from]);
// @ts-expect-error: `presence` carries a list of names, not numbers.
socket.on("presence", (room: string, users: number[]) => void [room, users]);
// @ts-expect-error: the server sends no `shout`.
socket.on("shout", () => {});

// Client → server, without acknowledgement.
socket.emit("leave", "lobby");
socket.emit("typing", "lobby");
// @ts-expect-error: `leave` is not acknowledged, so it takes no callback.
socket.emit("leave", "lobby", () => {});
// @ts-expect-error: there is no `shout` event.
socket.emit("shout", "lobby");
// @ts-expect-error: a room name is a string.
socket.emit("typing", 42);

// Client → server, acknowledged: the callback is required and typed.
socket.emit("join", "lobby", (history) => {
  const messages: Message[] = history;
  void messages;
});
// @ts-expect-error: `join` needs its acknowledgement callback.
socket.emit("join", "lobby");
// @ts-expect-error: `join` is acknowledged with messages, not a string.
socket.emit("join", "lobby", (history: string) => void history);
socket.emit("say", "lobby", "hello", (result) => {
  if (result.ok) {
    const id: number = result.data;
    void id;
  } else {
    const error: ChatError = result.error;
    const code: ChatErrorCode = error.code;
    void code;
  }
});
// @ts-expect-error: the text is a string.
socket.emit("say", "lobby", 42, () => {});
// @ts-expect-error: `say` takes a room and a text.
socket.emit("say", "lobby", () => {});

async function withAcks(): Promise<void> {
  const history: Message[] = await socket.emitWithAck("join", "lobby");
  // @ts-expect-error: `join` resolves to messages.
  const count: number = await socket.emitWithAck("join", "lobby");
  const said = await socket.timeout(5_000).emitWithAck("say", "lobby", "hi");
  const code: ChatErrorCode | undefined = said.ok ? undefined : said.error.code;
  socket.timeout(5_000).emit("join", "lobby", (err, messages) => {
    const error: Error = err;
    const list: Message[] = messages;
    void [error, list];
  });
  void [history, count, code];
}

void [badAuth, withAcks];
