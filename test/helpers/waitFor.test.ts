import { EventEmitter } from 'node:events';
import { NEVER, Subject, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  WaitTimeoutError,
  waitFor,
  waitForComplete,
  waitForError,
  waitForEvent,
  waitForOutcome,
  waitForValues,
} from './waitFor.js';

describe('waitFor helpers', () => {
  it('waitFor resolves with the first truthy value and fails after its timeout', async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? n : false), { intervalMs: 1 })).toBe(3);
    await expect(waitFor(() => false, { timeoutMs: 20, message: 'never' })).rejects.toThrow(
      new WaitTimeoutError('never', 20),
    );
    await expect(
      waitFor(() => {
        throw new Error('probe failed');
      }),
    ).rejects.toThrow('probe failed');
  });

  it('waitForEvent resolves with the arguments and removes its listener', async () => {
    const emitter = new EventEmitter();
    const waiting = waitForEvent<[number, string]>(emitter, 'thing');
    emitter.emit('thing', 1, 'a');
    expect(await waiting).toEqual([1, 'a']);
    expect(emitter.listenerCount('thing')).toBe(0);

    await expect(waitForEvent(emitter, 'thing', { timeoutMs: 10 })).rejects.toBeInstanceOf(
      WaitTimeoutError,
    );
    expect(emitter.listenerCount('thing')).toBe(0);

    const failing = waitForEvent(emitter, 'thing', { rejectOnError: true });
    emitter.emit('error', new Error('boom'));
    await expect(failing).rejects.toThrow('boom');
    expect(emitter.listenerCount('error')).toBe(0);
  });

  it('waitForValues takes n values, fails on early completion, and unsubscribes on timeout', async () => {
    expect(await waitForValues(of(1, 2, 3), 2)).toEqual([1, 2]);
    await expect(waitForValues(of(1), 2)).rejects.toThrow('completed after 1 of 2');
    const subject = new Subject<number>();
    await expect(waitForValues(subject, 1, { timeoutMs: 10 })).rejects.toBeInstanceOf(
      WaitTimeoutError,
    );
    expect(subject.observed).toBe(false);
  });

  it('waitForComplete, waitForError and waitForOutcome see how it ended', async () => {
    const boom = new Error('boom');
    expect(await waitForComplete(of('a', 'b'))).toEqual(['a', 'b']);
    await expect(waitForComplete(throwError(() => boom))).rejects.toBe(boom);
    expect(await waitForError(throwError(() => boom))).toBe(boom);
    await expect(waitForError(of(1))).rejects.toThrow('instead of failing');
    expect(await waitForOutcome(of(1))).toEqual({ kind: 'complete', values: [1] });
    await expect(waitForOutcome(NEVER, { timeoutMs: 10 })).rejects.toBeInstanceOf(WaitTimeoutError);
  });
});
