// A scheduler whose timers, when they fire late (the process stalled), run one event-loop turn later: after what is queued is read.
import { Subscription, asyncScheduler, type SchedulerAction, type SchedulerLike } from 'rxjs';

/**
 * Wraps `inner` (the async scheduler by default): a timer that fires `lateMs` or more after
 * its time (a GC pause, CPU starvation, a paused VM) runs its work at the next turn of the
 * event loop (`setImmediate`), after the I/O poll: the datagrams that waited in the socket
 * during the stall are read before any timeout is decided. A timer on time runs at once.
 *
 * @example
 * const match = new Match({ scheduler: lateTimerScheduler(250) });
 */
export function lateTimerScheduler(
  lateMs: number,
  inner: SchedulerLike = asyncScheduler,
): SchedulerLike {
  return {
    now: () => inner.now(),
    schedule<T>(
      this: SchedulerLike,
      work: (this: SchedulerAction<T>, state?: T) => void,
      delay = 0,
      state?: T,
    ): Subscription {
      const due = inner.now() + delay;
      const outer = new Subscription();
      outer.add(
        inner.schedule(
          function (this: SchedulerAction<T>, s?: T) {
            if (inner.now() - due < lateMs) return work.call(this, s);
            const immediate = setImmediate(() => {
              if (!outer.closed) work.call(this, s);
            });
            outer.add(() => clearImmediate(immediate));
          },
          delay,
          state,
        ),
      );
      return outer;
    },
  };
}
