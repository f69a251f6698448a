// The steps the emitter scripts of the tests run (node-redis-emitter.mjs,
// node-postgres-emitter.mjs), whatever their emitter: `{op: "emit", nsp, to,
// except, event, args, binary}` (a Buffer 01 02 03 appended with `binary`),
// `{op: "join" | "leave", to, except, rooms}`, `{op: "disconnect", to, except,
// close}`, `{op: "serverSideEmit", args}`. `afterEach` runs after each step.

export async function runSteps(root, steps, afterEach = async () => {}) {
  for (const step of steps) {
    let operator = step.nsp ? root.of(step.nsp) : root;
    if (step.to) operator = operator.to(step.to);
    if (step.except) operator = operator.except(step.except);
    switch (step.op) {
      case "emit":
        operator.emit(step.event, ...(step.args ?? []), ...(step.binary ? [Buffer.from([1, 2, 3])] : []));
        break;
      case "join":
        operator.socketsJoin(step.rooms);
        break;
      case "leave":
        operator.socketsLeave(step.rooms);
        break;
      case "disconnect":
        operator.disconnectSockets(step.close ?? false);
        break;
      case "serverSideEmit":
        root.serverSideEmit(...(step.args ?? []));
        break;
      default:
        throw new Error(`unknown op ${step.op}`);
    }
    await afterEach();
  }
}
