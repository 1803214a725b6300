import { Observable, type Observer, type Subscriber, type Subscription } from 'rxjs';

/**
 * Subscribes `observer` to `source` through a subscriber that `destination` owns.
 *
 * It is `source.subscribe(observer)`, except that the subscriber the source is given is
 * closed the moment `destination` is: a synchronous source that checks `subscriber.closed`
 * (as `of`, `from`, `range` and well-behaved hand-written sources do) stops as soon as a
 * downstream `take` is satisfied, instead of running to its end. RxJS links its own
 * operators this way internally; this does it with public API only.
 *
 * Internal to the operators (not exported from the package).
 *
 * @param source The operator's source.
 * @param destination The subscriber the operator was given by `new Observable`.
 * @param observer The operator's handlers. Exceptions they throw are reported by RxJS as
 * unhandled errors, so handlers that call user code should catch and forward them.
 * @returns The subscription to `source`; it is also added to `destination`.
 */
export function subscribeLinked<T>(
  source: Observable<T>,
  destination: Subscriber<unknown>,
  observer: Observer<T>,
): Subscription {
  // `subscribe` runs the function synchronously; the assertion stops TypeScript narrowing
  // `linked` to `undefined` (it cannot see the assignment inside the callback).
  let linked = undefined as Subscriber<T> | undefined;
  new Observable<T>((subscriber) => {
    linked = subscriber;
  }).subscribe(observer);
  if (linked === undefined) throw new Error('unreachable: Observable did not subscribe');
  destination.add(linked);
  source.subscribe(linked);
  return linked;
}
