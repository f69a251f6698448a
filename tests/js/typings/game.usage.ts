// The game contract through socket.io-client's types, typed by the generated
// examples/generated/game.ts. Each `@ts-expect-error` line must fail to type-check
// (tsc reports an unused directive otherwise).

import { io, type Socket } from "socket.io-client";

import type {
  ClientToServerEvents,
  Direction,
  GameErrorCode,
  MatchInfo,
  ServerToClientEvents,
} from "../../../examples/generated/game";

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io("http://localhost:3000");

// Server → client.
socket.on("state", (snapshot) => {
  const tick: number = snapshot.tick;
  const positions: Array<[number, number]> = snapshot.players.map((p) => [p.x, p.y]);
  const heading: Direction = snapshot.players[0]?.direction ?? "stop";
  void [tick, positions, heading, snapshot.coins.length];
});
socket.on("player_joined", (player) => void `${player.id}: ${player.name}`);
socket.on("match_over", (result) => {
  const winners: number[] = result.winners;
  void [winners, result.standings[0]?.score];
});
// @ts-expect-error: `player_left` carries a player, not an id.
socket.on("player_left", (id: number) => void id);

// Client → server: every event is acknowledged with a result.
socket.emit("join_match", "ada", (answer) => {
  if (answer.ok) {
    const info: MatchInfo = answer.data;
    void info.player_id;
  } else {
    const code: GameErrorCode = answer.error.code;
    void code;
  }
});
socket.emit("input", 1, "left", (answer) => void answer.ok);
socket.emit("leave_match", (answer) => void answer.ok);
// @ts-expect-error: there is no `sideways` direction.
socket.emit("input", 2, "sideways", () => {});
// @ts-expect-error: `seq` is a number.
socket.emit("input", "3", "up", () => {});
// @ts-expect-error: `input` needs its acknowledgement callback.
socket.emit("input", 4, "up");

async function withAcks(): Promise<void> {
  const answer = await socket.emitWithAck("join_match", "ada");
  const matchId: number | undefined = answer.ok ? answer.data.match_id : undefined;
  // @ts-expect-error: the answer may be a refusal, which has no `data`.
  const data: MatchInfo = answer.data;
  void [matchId, data];
}
void withAcks;
