// The arena page: joins a match under a name, draws the state the server
// broadcasts, and sends the arrow keys as inputs. Typed by the contract generated
// from the Rust server (examples/generated/game.ts).

import { io, type Socket } from "socket.io-client";

import type {
  ClientToServerEvents,
  Direction,
  GameError,
  MatchInfo,
  MatchResult,
  PlayerInfo,
  ServerToClientEvents,
  Snapshot,
} from "../../../generated/game";
import { draw } from "./draw";

type GameSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The longest name the server accepts (MAX_NAME_CHARS). */
const MAX_NAME_CHARS = 16;

const KEYS: Readonly<Record<string, Direction>> = {
  ArrowUp: "up",
  ArrowDown: "down",
  ArrowLeft: "left",
  ArrowRight: "right",
  w: "up",
  s: "down",
  a: "left",
  d: "right",
  " ": "stop",
};

function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) {
    throw new Error(`#${id} is missing from the page or is not a ${type.name}`);
  }
  return found;
}

const page = {
  status: byId("status", HTMLElement),
  lobby: byId("lobby", HTMLElement),
  joinForm: byId("join-form", HTMLFormElement),
  name: byId("name", HTMLInputElement),
  joinError: byId("join-error", HTMLElement),
  game: byId("game", HTMLElement),
  arena: byId("arena", HTMLCanvasElement),
  match: byId("match", HTMLElement),
  timeLeft: byId("time-left", HTMLElement),
  you: byId("you", HTMLElement),
  scores: byId("scores", HTMLOListElement),
  notice: byId("notice", HTMLElement),
  playAgain: byId("play-again", HTMLButtonElement),
  leave: byId("leave", HTMLButtonElement),
};

/** The match this page plays in, if any. */
interface Playing {
  info: MatchInfo;
  names: Map<PlayerInfo["id"], string>;
  seq: number;
  direction: Direction;
  over: boolean;
}

let playing: Playing | undefined;
let lastName = "";
const socket: GameSocket = io();

function setStatus(status: string): void {
  page.status.dataset["status"] = status;
  const transport = socket.connected ? socket.io.engine.transport.name : "";
  page.status.textContent = transport ? `${status} · ${transport}` : status;
}

function showLobby(error = ""): void {
  playing = undefined;
  page.game.hidden = true;
  page.lobby.hidden = false;
  page.joinError.textContent = error;
}

function describe(error: GameError): string {
  return `${error.message} (${error.code})`;
}

function join(name: string): void {
  socket.emit("join_match", name, (answer) => {
    if (!answer.ok) {
      showLobby(describe(answer.error));
      return;
    }
    const info = answer.data;
    playing = {
      info,
      names: new Map(info.players.map((player) => [player.id, player.name])),
      seq: 0,
      direction: "stop",
      over: false,
    };
    page.name.blur();
    page.lobby.hidden = true;
    page.game.hidden = false;
    page.match.textContent = `Match ${info.match_id}`;
    page.notice.textContent = "";
    page.playAgain.hidden = true;
  });
}

function steer(direction: Direction): void {
  if (!playing || playing.over || direction === playing.direction) {
    return;
  }
  const current = playing;
  current.seq += 1;
  current.direction = direction;
  socket.emit("input", current.seq, direction, (answer) => {
    if (!answer.ok && answer.error.code !== "rate_limited" && playing === current) {
      page.notice.textContent = describe(answer.error);
    }
  });
}

function showState(snapshot: Snapshot): void {
  if (!playing) {
    return;
  }
  const { info, names } = playing;
  draw(page.arena, snapshot, names, info.player_id);
  page.timeLeft.textContent = `${Math.ceil(snapshot.ticks_left / info.tick_rate_hz)} s left`;
  const me = snapshot.players.find((player) => player.id === info.player_id);
  if (me) {
    page.you.dataset["x"] = String(me.x);
    page.you.dataset["y"] = String(me.y);
    page.you.textContent = `You are at ${me.x}, ${me.y}`;
  }
  const ranked = [...snapshot.players].sort((a, b) => b.score - a.score || a.id - b.id);
  page.scores.replaceChildren(
    ...ranked.map((player) => {
      const item = document.createElement("li");
      item.dataset["id"] = String(player.id);
      item.textContent = `${names.get(player.id) ?? `#${player.id}`}: ${player.score}`;
      return item;
    }),
  );
}

function showResult(result: MatchResult): void {
  if (!playing || playing.info.match_id !== result.match_id) {
    return;
  }
  playing.over = true;
  const winners = result.standings
    .filter((standing) => result.winners.includes(standing.id))
    .map((standing) => `${standing.name} (${standing.score})`);
  page.notice.textContent = `Match over. Won by ${winners.join(", ")}`;
  page.playAgain.hidden = false;
}

page.joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const name = page.name.value.trim();
  if (!name || [...name].length > MAX_NAME_CHARS) {
    page.joinError.textContent = `A name has 1 to ${MAX_NAME_CHARS} characters`;
    return;
  }
  lastName = name;
  join(name);
});

page.playAgain.addEventListener("click", () => join(lastName));

page.leave.addEventListener("click", () => {
  if (playing && !playing.over) {
    socket.emit("leave_match", () => showLobby());
  } else {
    showLobby();
  }
});

document.addEventListener("keydown", (event) => {
  const direction = KEYS[event.key];
  if (direction && playing && document.activeElement !== page.name) {
    event.preventDefault();
    steer(direction);
  }
});

socket.on("connect", () => {
  setStatus("connected");
  socket.io.engine.once("upgrade", () => setStatus("connected"));
});
socket.on("disconnect", () => {
  setStatus("disconnected");
  showLobby("The connection was lost; join again.");
});
socket.on("state", showState);
socket.on("player_joined", (player) => {
  playing?.names.set(player.id, player.name);
  page.notice.textContent = `${player.name} joined`;
});
socket.on("player_left", (player) => {
  playing?.names.delete(player.id);
  page.notice.textContent = `${player.name} left`;
});
socket.on("match_over", showResult);
