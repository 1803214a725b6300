import { describe, expect, it } from 'vitest';
import { resolveConnectOptions } from '../../src/client/options.js';
import { DEFAULT_MAX_COPIES, MAX_COPIES } from '../../src/link/LossCopies.js';
import { resolveServerOptions } from '../../src/server/options.js';

const client = (maxCopies?: number) =>
  resolveConnectOptions({ host: '127.0.0.1', port: 1, username: 'ann', maxCopies });

describe('the maxCopies option', () => {
  it('defaults to 5 copies at most, on the server and the client', () => {
    expect(DEFAULT_MAX_COPIES).toBe(5);
    expect(resolveServerOptions({}).maxCopies).toBe(DEFAULT_MAX_COPIES);
    expect(client().maxCopies).toBe(DEFAULT_MAX_COPIES);
  });

  it('takes 1 (no copies) to 8', () => {
    for (const n of [1, 3, MAX_COPIES]) {
      expect(resolveServerOptions({ maxCopies: n }).maxCopies).toBe(n);
      expect(client(n).maxCopies).toBe(n);
    }
  });

  it('refuses anything else, naming the option', () => {
    for (const n of [0, -1, 1.5, MAX_COPIES + 1, Number.NaN, Infinity]) {
      expect(() => resolveServerOptions({ maxCopies: n })).toThrow(/^maxCopies must be/);
      expect(() => client(n)).toThrow(/^maxCopies must be/);
    }
  });
});
