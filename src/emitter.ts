// A small typed event emitter with no Node built-in, the base of the server and the client.

/** Event names to listener signatures. */
export type EventMap = {
  /** The listener of one event. */
  [event: string]: (...args: never[]) => void;
};

/**
 * An event emitter whose events are typed: `on('frame', (f) => ...)` knows `f` is a
 * `ConfirmedFrame`. For code that does not use RxJS; the Observables carry the same values.
 * The methods behave as Node's `EventEmitter` ones do, without its `'error'` special case.
 */
export interface TypedEventEmitter<Events extends EventMap> {
  /** Calls `listener` on every `event` from now on; returns this emitter. */
  on<E extends keyof Events>(event: E, listener: Events[E]): this;
  /** Calls `listener` on the next `event` only; returns this emitter. */
  once<E extends keyof Events>(event: E, listener: Events[E]): this;
  /** Removes `listener` from `event` (the last one added, if added twice); returns this emitter. */
  off<E extends keyof Events>(event: E, listener: Events[E]): this;
  /** The same as `on`. */
  addListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  /** The same as `off`. */
  removeListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  /** Removes every listener of `event`, or of every event when none is given; returns this emitter. */
  removeAllListeners<E extends keyof Events>(event?: E): this;
  /** Calls the listeners of `event` with `args`, in the order they were added; true if it had any. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean;
  /** How many listeners `event` has. */
  listenerCount<E extends keyof Events>(event: E): number;
}

type Listener = (...args: unknown[]) => void;

/** Listeners by event; a `once` listener is wrapped and remembers the original. */
class Emitter {
  private readonly listeners = new Map<PropertyKey, Listener[]>();

  on(event: PropertyKey, listener: Listener): this {
    const list = this.listeners.get(event);
    if (list) list.push(listener);
    else this.listeners.set(event, [listener]);
    return this;
  }

  addListener(event: PropertyKey, listener: Listener): this {
    return this.on(event, listener);
  }

  once(event: PropertyKey, listener: Listener): this {
    const wrapped: Listener & { original?: Listener } = (...args) => {
      this.off(event, wrapped);
      listener(...args);
    };
    wrapped.original = listener;
    return this.on(event, wrapped);
  }

  off(event: PropertyKey, listener: Listener): this {
    const list = this.listeners.get(event);
    if (!list) return this;
    // The last one added goes first, as in Node.
    for (let i = list.length - 1; i >= 0; i--) {
      const l = list[i] as Listener & { original?: Listener };
      if (l === listener || l.original === listener) {
        list.splice(i, 1);
        break;
      }
    }
    if (list.length === 0) this.listeners.delete(event);
    return this;
  }

  removeListener(event: PropertyKey, listener: Listener): this {
    return this.off(event, listener);
  }

  removeAllListeners(event?: PropertyKey): this {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
    return this;
  }

  emit(event: PropertyKey, ...args: unknown[]): boolean {
    const list = this.listeners.get(event);
    if (!list) return false;
    for (const listener of [...list]) listener(...args);
    return true;
  }

  listenerCount(event: PropertyKey): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}

/** A typed emitter class: the base class of the server and the client. */
export function typedEmitter<Events extends EventMap>(): new () => TypedEventEmitter<Events> {
  return Emitter as unknown as new () => TypedEventEmitter<Events>;
}
