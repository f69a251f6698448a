// The handlers of the Node.js servers of the cluster tests, whatever their
// adapter. `installHandlers` installs them all (node-redis-server.mjs,
// node-postgres-server.mjs); `installSocketHandlers` only those of each socket,
// for fixtures with handlers of their own (node-redis-streams-server.mjs), and
// `onClusterRequests` only those of the cluster requests.
//
// Each socket may `join` a room (acknowledged once joined) and ask for a
// broadcast with `broadcast({event, to, except, args, binary}, ack)`:
// `io.to(to).except(except).emit(event, ...args)`, with a Buffer 01 02 03
// appended when `binary` is set; `shout` is passed on with `socket.broadcast`. A
// server-side `hello` from another node goes to this node's clients as `server
// said`, and a client's `tell servers(text)` sends the server-side event `from
// node(text)` to the other nodes. Each socket's data is `{from: "node"}`. The
// server-side event `who(x)` is answered with `{from: "node", x}` (with `name`
// when given), and `never` is never answered.
//
// The cluster requests: `ask everyone({event, to, args})` broadcasts with
// acknowledgements to `to` (everyone when unset) and is acknowledged with the
// answers; `ask servers(x)` is acknowledged with the other nodes' answers to the
// server-side event `who(x)`; `cluster({op, to, except, rooms, close})` runs
// `fetch` (acknowledged with each socket's `{id, rooms, data}`), `join`,
// `leave`, `disconnect` or `allRooms` (acknowledged with the rooms) on
// `io.to(to).except(except)`; a failure is acknowledged as `{error}`;
// `requestsTimeout` (ms) bounds the cluster requests.

export function installHandlers(io, { name, requestsTimeout = 5000 } = {}) {
  io.on("hello", (...args) => io.local.emit("server said", ...args));
  io.on("who", (x, callback) => callback({ from: "node", ...(name ? { name } : {}), x }));
  // Never answered: the asker waits for this node until it times out.
  io.on("never", () => {});

  io.on("connection", (socket) => {
    socket.data = { from: "node" };
    installSocketHandlers(io, socket, { requestsTimeout });
  });
}

/**
 * The handlers of one socket: `join`, `broadcast`, `shout`, `tell servers` and
 * the cluster requests.
 */
export function installSocketHandlers(io, socket, { requestsTimeout } = {}) {
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack();
  });
  socket.on("broadcast", ({ event, to, except, args = [], binary }, ack) => {
    let operator = io;
    if (to) operator = operator.to(to);
    if (except) operator = operator.except(except);
    operator.emit(event, ...args, ...(binary ? [Buffer.from([1, 2, 3])] : []));
    ack();
  });
  socket.on("shout", (text) => socket.broadcast.emit("shouted", text));
  socket.on("tell servers", (text) => io.serverSideEmit("from node", text));
  onClusterRequests(io, socket, { requestsTimeout });
}

export function onClusterRequests(io, socket, { requestsTimeout } = {}) {
  socket.on("ask everyone", async ({ event, to, args = [] }, ack) => {
    try {
      const operator = to ? io.to(to) : io;
      ack(await operator.timeout(5000).emitWithAck(event, ...args));
    } catch (error) {
      ack({ error: String(error) });
    }
  });
  socket.on("ask servers", async (x, ack) => {
    try {
      ack(await io.serverSideEmitWithAck("who", x));
    } catch (error) {
      ack({ error: String(error) });
    }
  });
  socket.on("cluster", async ({ op, to, except, rooms = [], close = false }, ack) => {
    let operator = io.of("/");
    if (requestsTimeout) operator = operator.timeout(requestsTimeout);
    if (to) operator = operator.to(to);
    if (except) operator = operator.except(except);
    try {
      switch (op) {
        case "fetch": {
          const sockets = await operator.fetchSockets();
          ack(sockets.map((s) => ({ id: s.id, rooms: [...s.rooms], data: s.data })));
          break;
        }
        case "join":
          operator.socketsJoin(rooms);
          ack(null);
          break;
        case "leave":
          operator.socketsLeave(rooms);
          ack(null);
          break;
        case "disconnect":
          operator.disconnectSockets(close);
          ack(null);
          break;
        case "allRooms":
          ack([...(await io.of("/").adapter.allRooms())]);
          break;
        default:
          ack({ error: `unknown op ${op}` });
      }
    } catch (error) {
      ack({ error: String(error) });
    }
  });
}
