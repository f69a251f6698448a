// How the Node.js socket.io fixtures serve: on 127.0.0.1 (port `port`, an
// ephemeral one by default), printing `listening on http://ADDR` on stdout once
// listening, and exiting when their stdin closes, so that they never outlive
// the test that started them.

/** Listens with `http`; when stdin closes, awaits `onEnd()` and exits. */
export function serveUntilStdinEnds(http, { port = 0, onEnd = async () => {} } = {}) {
  http.listen(port, "127.0.0.1", () => {
    const { address, port } = http.address();
    process.stdout.write(`listening on http://${address}:${port}\n`);
  });
  process.stdin.on("end", async () => {
    await onEnd();
    process.exit(0);
  });
  process.stdin.resume();
}
