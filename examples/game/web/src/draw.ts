// Drawing a snapshot of the arena on its canvas.

import type { PlayerInfo, Snapshot } from "../../../generated/game";

const PLAYER_RADIUS = 12;
const COIN_RADIUS = 7;
const PALETTE = ["#4dabf7", "#ff6b6b", "#51cf66", "#cc5de8", "#ffa94d", "#22b8cf"];

/** The colour of player `id`, the same on every page. */
export function colourOf(id: PlayerInfo["id"]): string {
  return PALETTE[(id - 1) % PALETTE.length] ?? "#ffffff";
}

/** Draws `snapshot`, naming players from `names` and ringing player `me`. */
export function draw(
  canvas: HTMLCanvasElement,
  snapshot: Snapshot,
  names: ReadonlyMap<PlayerInfo["id"], string>,
  me: PlayerInfo["id"],
): void {
  const context = canvas.getContext("2d");
  if (!context) {
    return;
  }
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = "#ffd43b";
  for (const coin of snapshot.coins) {
    context.beginPath();
    context.arc(coin.x, coin.y, COIN_RADIUS, 0, 2 * Math.PI);
    context.fill();
  }
  context.font = "13px system-ui, sans-serif";
  context.textAlign = "center";
  for (const player of snapshot.players) {
    context.fillStyle = colourOf(player.id);
    context.beginPath();
    context.arc(player.x, player.y, PLAYER_RADIUS, 0, 2 * Math.PI);
    context.fill();
    if (player.id === me) {
      context.strokeStyle = "#ffffff";
      context.lineWidth = 3;
      context.stroke();
    }
    context.fillStyle = "#e9ecef";
    context.fillText(names.get(player.id) ?? `#${player.id}`, player.x, player.y - PLAYER_RADIUS - 6);
  }
}
