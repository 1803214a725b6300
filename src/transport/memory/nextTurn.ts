// A later turn of the event loop, where the memory transport delivers what was sent.

type Immediate = (callback: () => void) => unknown;

const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate;

/**
 * Runs `callback` on a later turn of the event loop, after what is already queued: in order,
 * never inside the caller. `setImmediate` where there is one (Node), else `setTimeout(0)`.
 */
export const nextTurn: (callback: () => void) => void =
  immediate !== undefined
    ? (callback) => void immediate(callback)
    : (callback) => void setTimeout(callback, 0);
