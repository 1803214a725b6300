// A small typed event emitter with no Node built-in, the base of the server and the client.

/** Event names to listener signatures. */
export type EventMap = { [event: string]: (...args: never[]) => void };

/**
 * An event emitter whose events are typed: `on('frame', (f) => ...)` knows `f` is a
 * `ConfirmedFrame`. For code that does not use RxJS; the Observables carry the same values.
 * The methods behave as Node's `EventEmitter` ones do, without its `'error'` special case.
 */
export interface TypedEventEmitter<Events extends EventMap> {
  on<E extends keyof Events>(event: E, listener: Events[E]): this;
  once<E extends keyof Events>(event: E, listener: Events[E]): this;
  off<E extends keyof Events>(event: E, listener: Events[E]): this;
  addListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  removeListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  removeAllListeners<E extends keyof Events>(event?: E): this;
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean;
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
