// The Node transport's UDP endpoint: a send that fails later is reported with where it was sent.
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { bindUdpEndpoint, type DatagramEndpoint } from '../../src/transport/node/udpEndpoint.js';

const open: DatagramEndpoint[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

describe('udpEndpoint', () => {
  it('reports a failed send (EMSGSIZE) on sendErrors$, naming the address and port', async () => {
    const sender = await bindUdpEndpoint({ host: '127.0.0.1', port: 0 });
    const receiver = await bindUdpEndpoint({ host: '127.0.0.1', port: 0 });
    open.push(sender, receiver);
    const failed = firstValueFrom(sender.sendErrors$);
    sender.send(new Uint8Array(70_000), receiver.port, '127.0.0.1');
    const err = await failed;
    expect(err.message).toBe(
      `UDP send to 127.0.0.1:${receiver.port} failed: ${(err.cause as Error).message}`,
    );
    expect(err.cause).toMatchObject({ code: 'EMSGSIZE' });
  });
});
