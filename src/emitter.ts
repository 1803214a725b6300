import { EventEmitter } from 'node:events';

/** Event names to listener signatures. */
export type EventMap = { [event: string]: (...args: never[]) => void };

/**
 * A Node `EventEmitter` whose events are typed: `on('frame', (f) => ...)` knows `f` is a
 * `ConfirmedFrame`. For code that does not use RxJS; the Observables carry the same values.
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

/** `EventEmitter`, typed: a base class for the server and the client. */
export function typedEmitter<Events extends EventMap>(): new () => TypedEventEmitter<Events> {
  return EventEmitter as unknown as new () => TypedEventEmitter<Events>;
}
