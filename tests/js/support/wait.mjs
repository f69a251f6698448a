// Waiting for events with a bound, so a broken server fails a test instead of
// hanging it. The bounds are generous: a loaded CI machine can be slow.

/** The longest a test waits for something that should happen. */
export const PATIENCE_MS = 15_000;

/**
 * Resolves with the arguments of the next `event` emitted by `emitter` (an
 * `on`/`off` emitter such as an engine.io-client socket), or rejects after
 * `ms` milliseconds.
 */
export function next(emitter, event, ms = PATIENCE_MS) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no "${event}" event within ${ms} ms`));
    }, ms);
    const listener = (...args) => {
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    emitter.on(event, listener);
  });
}

/**
 * Collects `count` emissions of `event` (their first argument), resolving with them
 * in order; rejects after `ms` milliseconds with what arrived so far.
 */
export function collect(emitter, event, count, ms = PATIENCE_MS) {
  return new Promise((resolve, reject) => {
    const seen = [];
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`only ${seen.length} of ${count} "${event}" events within ${ms} ms`));
    }, ms);
    const listener = (value) => {
      seen.push(value);
      if (seen.length === count) {
        clearTimeout(timer);
        emitter.off(event, listener);
        resolve(seen);
      }
    };
    emitter.on(event, listener);
  });
}

/** Rejects if `promise` has not settled within `ms` milliseconds. */
export function within(promise, what, ms = PATIENCE_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves once `condition()` (which may return a promise) holds, checking every
 * `every` milliseconds; rejects after `ms` milliseconds, naming `what`.
 */
export async function until(condition, what, { every = 20, ms = PATIENCE_MS } = {}) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(every);
  }
}
