// The cluster-request handlers the Node.js fixtures share (node-redis-server.mjs,
// node-redis-streams-server.mjs): `ask everyone({event, to, args})` broadcasts
// with acknowledgements and is acknowledged with the answers; `ask servers(x)`
// is acknowledged with the other nodes' answers to the server-side event
// `who(x)`; `cluster({op, to, except, rooms, close})` runs `fetch`, `join`,
// `leave`, `disconnect` or `allRooms` on `io.to(to).except(except)`; a failure
// is acknowledged as `{error}`; `requestsTimeout` bounds the cluster requests.

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
