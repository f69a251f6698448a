// The shapes contract (codegen/tests/shapes) through socket.io-client's types:
// each serde representation must accept its values and refuse near misses. Each
// `@ts-expect-error` line must fail to type-check.

import { io, type Socket } from "socket.io-client";

import type {
  AdminAuthPayload,
  AdminClientToServerEvents,
  AdminServerToClientEvents,
  Attachment,
  AttachmentInput,
  ClientToServerEvents,
  Envelope,
  Flattened,
  Loose,
  Notice,
  Page_Profile,
  Profile,
  ProfileInput,
  ServerToClientEvents,
  Shape,
  Strict,
  WithExtras,
} from "../../../codegen/tests/snapshots/shapes";

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io("http://localhost:3000");

// Externally tagged.
const shapes: Shape[] = ["Empty", { Dot: { x: 1, y: 2 } }, { Line: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }, { Rect: { w: 1, h: 2 } }];
// @ts-expect-error: a newtype variant is an object keyed by its name.
const badShape: Shape = "Dot";
// Internally tagged, a newtype variant merged with its struct.
const notices: Notice[] = [{ kind: "joined", user: "ada", at: 1 }, { kind: "left", user: "bob" }, { kind: "server_restart" }];
// @ts-expect-error: `joined` carries a user.
const badNotice: Notice = { kind: "joined", at: 1 };
// Adjacently tagged.
const envelopes: Envelope[] = [{ t: "Text", c: "hi" }, { t: "Pair", c: [1, 2] }, { t: "Empty" }, { t: "Rich", c: { bold: true } }];
// @ts-expect-error: a `Text` envelope holds a string.
const badEnvelope: Envelope = { t: "Text", c: 1 };
// Untagged.
const loose: Loose[] = [1.5, "text", [1, 2], { a: 1 }];
// @ts-expect-error: no variant is a boolean.
const badLoose: Loose = true;
// Flattened struct and enum.
const flat: Flattened = { id: 1, createdBy: "ada", revision: 2, type: "File", size: 10 };
// @ts-expect-error: a folder counts children, it has no size.
const badFlat: Flattened = { id: 1, createdBy: "ada", revision: 2, type: "Folder", size: 10 };
// Known fields plus a string map.
const extras: WithExtras = { name: "n", color: "red" };
// Reserved and quoted property names.
const strict: Strict = { a: 1, type: "t", "content-type": "text/plain" };
// @ts-expect-error: `content-type` is required.
const badStrict: Strict = { a: 1, type: "t" };

// The two forms of a type used both ways: the server always sends `nickname`,
// a client may leave it (and every defaulted field) out.
const sent: Pick<Profile, "nickname"> = { nickname: null };
// @ts-expect-error: a profile as sent always has `nickname`.
const badSent: Pick<Profile, "nickname"> = {};
const input: ProfileInput = {
  displayName: "ada",
  tags: [],
  scores: {},
  namesById: { "1": "one" },
  votesByColor: { red: 1 },
  position: [0, 0],
  rgb: [1, 2, 3],
  extra: { anything: true },
  createdAtMs: 0,
};
// @ts-expect-error: `rgb` has exactly three components.
const badInput: ProfileInput = { ...input, rgb: [1, 2] };
socket.emit("updateProfile", input, (result) => {
  const profile: Profile | string = result.ok ? result.data : result.error;
  void profile;
});

// Trailing optional arguments, without and with an acknowledgement.
socket.emit("note", "text");
socket.emit("note", "text", "tag");
socket.emit("note", "text", null);
socket.emit("search", "q", (page: Page_Profile) => void page);
socket.emit("search", "q", 2, (page) => void page.items);
socket.emit("search", "q", null, 10, (page) => void page.next);
// @ts-expect-error: a page number is a number.
socket.emit("search", "q", "2", () => {});

// Bytes: sent as any buffer or view, received as an ArrayBuffer.
const upload: AttachmentInput = { name: "a.bin", data: new Uint8Array([1, 2]) };
socket.emit("upload", upload, (size) => void (size satisfies number));
socket.on("attachment", (file: Attachment) => {
  const buffer: ArrayBuffer = file.data;
  void buffer;
});
// @ts-expect-error: bytes are not a string.
socket.emit("upload", { name: "a", data: "text" }, () => {});

socket.emit("tree:put", { label: "root", children: [{ label: "leaf", children: [] }] });
socket.emit("setName", { name: "old" });
socket.emit("ping", (now) => void (now satisfies number));
socket.emit("raw", { anything: [1] }, strict);
socket.emit("loose", loose);
socket.emit("draw", shapes[0]!, "red");
// @ts-expect-error: not a color.
socket.emit("draw", "Empty", "purple");

socket.on("notice", (notice) => {
  switch (notice.kind) {
    case "joined":
      void notice.user;
      break;
    case "left":
      void notice.user;
      break;
    case "server_restart":
      break;
  }
});
socket.on("envelope", (envelope, flattened) => void [envelope.t, flattened.id]);
socket.on("confirm", (question, ack) => ack(question.length > 0));
// @ts-expect-error: `confirm` is acknowledged with a boolean.
socket.on("confirm", (question, ack) => ack("yes"));
socket.on("extras", (extrasArg, pair, marker, id, tree) => {
  const tuple: [number, string] = pair;
  const nothing: null = marker;
  const userId: number = id;
  void [extrasArg, tuple, nothing, userId, tree?.children];
});

// A second namespace has its own, prefixed names.
const admin: Socket<AdminServerToClientEvents, AdminClientToServerEvents> = io("http://localhost:3000/admin", {
  auth: { token: "t" } satisfies AdminAuthPayload,
});
admin.emit("kick", 42, (result) => void (result.ok || result.error));
admin.on("stats", (counters) => void counters["sockets"]);
// @ts-expect-error: `/admin` has no `draw`.
admin.emit("draw", "Empty", "red");

void [badShape, notices, badNotice, envelopes, badEnvelope, badLoose, flat, badFlat, extras, badStrict];
void [sent, badSent, badInput];
