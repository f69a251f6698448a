// The chat page: a socket.io-client typed by the contract generated from Rust
// (examples/generated/chat.ts), and a view of the rooms the user joined.
//
// `?transport=polling` or `?transport=websocket` in the page's address limits the
// client to that transport; by default it starts with polling and upgrades.

import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";

import type {
  AuthPayload,
  ClientToServerEvents,
  RoomName,
  ServerToClientEvents,
} from "../../../generated/chat";
import { byId, element, onSubmit } from "./dom";
import { Room } from "./room";

type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type Status = "connecting" | "connected" | "reconnecting" | "disconnected";

/** How long an acknowledgement may take before the page gives up on it. */
const ACK_TIMEOUT_MS = 10_000;
/** At most one `typing` event per room this often while the user types. */
const TYPING_EVERY_MS = 2_000;

const page = {
  status: byId("status", HTMLElement),
  me: byId("me", HTMLElement),
  signOut: byId("sign-out", HTMLButtonElement),
  login: byId("login", HTMLElement),
  loginForm: byId("login-form", HTMLFormElement),
  name: byId("name", HTMLInputElement),
  loginError: byId("login-error", HTMLElement),
  chat: byId("chat", HTMLElement),
  joinForm: byId("join-form", HTMLFormElement),
  roomName: byId("room-name", HTMLInputElement),
  joinError: byId("join-error", HTMLElement),
  rooms: byId("rooms", HTMLUListElement),
  presence: byId("presence", HTMLUListElement),
  roomTitle: byId("room-title", HTMLElement),
  leave: byId("leave", HTMLButtonElement),
  messages: byId("messages", HTMLOListElement),
  typing: byId("typing", HTMLElement),
  sayForm: byId("say-form", HTMLFormElement),
  text: byId("text", HTMLInputElement),
  send: byId("send", HTMLButtonElement),
  sayError: byId("say-error", HTMLElement),
};

let socket: ChatSocket | null = null;
let myName = "";
const rooms = new Map<RoomName, Room>();
let shown: Room | null = null;
let lastTypingSent = 0;

function transports(): string[] | null {
  const wanted = new URLSearchParams(window.location.search).get("transport");
  return wanted === "polling" || wanted === "websocket" ? [wanted] : null;
}

function setStatus(status: Status, transport = ""): void {
  page.status.dataset["status"] = status;
  page.status.dataset["transport"] = transport;
  page.status.textContent = transport ? `${status} · ${transport}` : status;
}

function connect(name: string): void {
  const options: Partial<ManagerOptions & SocketOptions> = {
    auth: { name } satisfies AuthPayload,
  };
  const only = transports();
  if (only) {
    options.transports = only;
  }
  const created: ChatSocket = io(options);
  socket = created;
  myName = name;
  setStatus("connecting");
  page.loginForm.inert = true;
  page.signOut.hidden = false;

  created.on("connect", () => {
    const engine = created.io.engine;
    setStatus("connected", engine.transport.name);
    engine.once("upgrade", () => setStatus("connected", engine.transport.name));
    showChat();
    for (const room of rooms.values()) {
      void join(created, room);
    }
  });
  created.on("connect_error", (error) => {
    if (socket !== created) {
      return;
    }
    if (created.active) {
      setStatus("reconnecting");
    } else {
      signOut(error.message);
    }
  });
  created.on("disconnect", (reason) => {
    if (socket !== created) {
      return;
    }
    if (created.active) {
      setStatus("reconnecting");
      for (const room of rooms.values()) {
        room.disconnected();
      }
      renderShown();
    } else {
      signOut(`disconnected: ${reason}`);
    }
  });
  created.io.on("reconnect_attempt", () => setStatus("reconnecting"));

  created.on("message", (message) => {
    const room = rooms.get(message.room);
    if (room?.add(message)) {
      received(room);
    }
  });
  created.on("presence", (name, users) => {
    const room = rooms.get(name);
    if (room) {
      room.users = users;
      if (room === shown) {
        renderPresence(room);
      }
    }
  });
  created.on("typing", (name, from) => rooms.get(name)?.typing(from));
}

/** Closes the connection and goes back to the name form, showing `error`. */
function signOut(error = ""): void {
  const closing = socket;
  socket = null;
  closing?.disconnect();
  for (const room of rooms.values()) {
    room.close();
  }
  rooms.clear();
  shown = null;
  setStatus("disconnected");
  page.loginError.textContent = error;
  page.loginForm.inert = false;
  page.login.hidden = false;
  page.chat.hidden = true;
  page.me.hidden = true;
  page.signOut.hidden = true;
  renderRooms();
  renderShown();
  page.name.focus();
}

function showChat(): void {
  page.loginError.textContent = "";
  page.login.hidden = true;
  page.chat.hidden = false;
  page.me.textContent = myName;
  page.me.hidden = false;
  page.signOut.hidden = false;
}

/** Joins `room` (again, after a reconnection) and shows its history. */
async function join(current: ChatSocket, room: Room): Promise<void> {
  room.joining();
  try {
    const history = await current.timeout(ACK_TIMEOUT_MS).emitWithAck("join", room.name);
    if (rooms.get(room.name) !== room) {
      return;
    }
    if (!Array.isArray(history)) {
      page.joinError.textContent = `the server refused to join ${room.name}`;
      forget(room);
      return;
    }
    room.joinedWith(history);
    if (room === shown) {
      renderShown();
    }
  } catch {
    page.joinError.textContent = `no answer to joining ${room.name}`;
  }
}

function received(room: Room): void {
  if (room === shown) {
    renderMessages(room);
  } else {
    room.unread += 1;
    renderRooms();
  }
}

function show(room: Room | null): void {
  shown = room;
  if (room) {
    room.unread = 0;
  }
  page.sayError.textContent = "";
  renderRooms();
  renderShown();
  if (room) {
    page.text.focus();
  }
}

/** Drops `room` from the page, showing another one. */
function forget(room: Room): void {
  room.close();
  rooms.delete(room.name);
  if (room === shown) {
    show(rooms.values().next().value ?? null);
  } else {
    renderRooms();
  }
}

function renderShown(): void {
  const room = shown;
  page.roomTitle.textContent = room ? `# ${room.name}` : "Join a room to start";
  page.leave.hidden = !room;
  page.text.disabled = !room;
  page.send.disabled = !room?.joined;
  if (room) {
    renderMessages(room);
    renderPresence(room);
    renderTyping(room);
  } else {
    page.messages.replaceChildren();
    page.presence.replaceChildren();
    page.typing.textContent = "";
  }
}

function renderRooms(): void {
  page.rooms.replaceChildren(
    ...[...rooms.values()].map((room) => {
      const button = element("button", "", room.name);
      button.type = "button";
      button.setAttribute("aria-current", String(room === shown));
      if (room.unread > 0) {
        button.append(element("span", "unread", String(room.unread)));
      }
      button.addEventListener("click", () => show(room));
      const item = element("li");
      item.dataset["room"] = room.name;
      item.append(button);
      return item;
    }),
  );
}

function renderMessages(room: Room): void {
  page.messages.replaceChildren(
    ...room.messages().map((message) => {
      const item = element("li", message.from === myName ? "mine" : "");
      const meta = element("span", "meta");
      meta.append(
        element("span", "from", message.from),
        element("time", "", new Date(message.at).toLocaleTimeString()),
      );
      item.append(meta, element("span", "text", message.text));
      return item;
    }),
  );
  page.messages.scrollTop = page.messages.scrollHeight;
}

function renderPresence(room: Room): void {
  page.presence.replaceChildren(
    ...room.users.map((user) => element("li", user === myName ? "me" : "", user)),
  );
}

function renderTyping(room: Room): void {
  const names = room.typingNames();
  if (names.length === 0) {
    page.typing.textContent = "";
  } else if (names.length === 1) {
    page.typing.textContent = `${names[0]} is typing…`;
  } else if (names.length <= 3) {
    page.typing.textContent = `${names.join(", ")} are typing…`;
  } else {
    page.typing.textContent = "several people are typing…";
  }
}

onSubmit(page.loginForm, () => {
  page.loginError.textContent = "";
  connect(page.name.value);
});

page.signOut.addEventListener("click", () => signOut());

onSubmit(page.joinForm, () => {
  const name = page.roomName.value.trim();
  page.joinError.textContent = "";
  if (!socket || !name) {
    return;
  }
  page.roomName.value = "";
  const known = rooms.get(name);
  if (known) {
    show(known);
    return;
  }
  const room = new Room(name, () => {
    if (room === shown) {
      renderTyping(room);
    }
  });
  rooms.set(name, room);
  show(room);
  void join(socket, room);
});

page.leave.addEventListener("click", () => {
  const room = shown;
  if (!socket || !room) {
    return;
  }
  socket.emit("leave", room.name);
  forget(room);
});

page.text.addEventListener("input", () => {
  const now = Date.now();
  if (socket && shown && page.text.value && now - lastTypingSent >= TYPING_EVERY_MS) {
    lastTypingSent = now;
    socket.emit("typing", shown.name);
  }
});

onSubmit(page.sayForm, async () => {
  const room = shown;
  if (!socket || !room?.joined) {
    return;
  }
  const text = page.text.value;
  try {
    const answer = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("say", room.name, text);
    if (answer.ok) {
      page.sayError.textContent = "";
      lastTypingSent = 0;
      if (page.text.value === text) {
        page.text.value = "";
      }
    } else {
      page.sayError.textContent = answer.error.message;
    }
  } catch {
    page.sayError.textContent = "no answer from the server; try again";
  }
});
