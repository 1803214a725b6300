// The cost of authenticating the Node transport's datagrams (seal + open) against the unauthenticated path, in one run.
//
//   npx tsx bench/datagramAuth.ts [datagrams=200000] [messageBytes=26]
//
// Three measures, each as the time per datagram with and without authentication, and the ratio:
// - cpu: the client's send side and the server's receive side in one process, no socket
//   (unauthenticated: the token prefix, one Map lookup, a view; authenticated: DatagramSealer +
//   UdpDemux, the transport's own code);
// - the tag alone (made and checked once per datagram) by each construction considered: the
//   transport's SipHash-2-4 in JavaScript (src/transport/node/sipHash.ts), against the
//   AES-256-CMAC on one long-lived cipher it replaced (bench/cmac.ts), AES-256-GCM and ChaCha20-Poly1305 with an empty plaintext (a cipher object and its key
//   schedule per datagram: node:crypto cannot re-key or reuse one) and HMAC-SHA256 cut to 16
//   bytes (an Hmac object per datagram);
// - loopback: the same datagrams sent over a real UDP socket pair and received, so the ratio is
//   to what a datagram costs the process in full (the system calls included).
import { createCipheriv, createDecipheriv, createHmac, createSecretKey } from 'node:crypto';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import {
  DatagramSealer,
  Direction,
  TAG_BYTES,
  randomSessionKey,
} from '../src/transport/node/datagramSeal.js';
import { SipHash24 } from '../src/transport/node/sipHash.js';
import { Cmac, sameTag } from './cmac.js';
import { readToken, tokenPrefix, TOKEN_BYTES } from '../src/transport/node/sessionToken.js';
import { UdpDemux } from '../src/transport/node/udpDemux.js';

const N = Number(process.argv[2] ?? 200_000);
const MESSAGE_BYTES = Number(process.argv[3] ?? 26); // an Inputs packet of one input (13.1)
const SESSIONS = 64;
const message = Uint8Array.from({ length: MESSAGE_BYTES }, (_, i) => i);

function time(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / N;
}

/** The unauthenticated path of the second edition before this change: token + message, a lookup, a view. */
function plainCpu(): number {
  const routes = new Map<number, { delivered: number }>();
  const prefixes: Uint8Array[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    routes.set(i + 1, { delivered: 0 });
    prefixes.push(tokenPrefix(i + 1));
  }
  return time(() => {
    for (let i = 0; i < N; i++) {
      const data = Buffer.concat([prefixes[i % SESSIONS], message]); // what the kernel hands back
      const route = routes.get(readToken(data));
      if (route === undefined) throw new Error('lost');
      const view = new Uint8Array(
        data.buffer,
        data.byteOffset + TOKEN_BYTES,
        data.length - TOKEN_BYTES,
      );
      route.delivered += view.length > 0 ? 1 : 0;
    }
  });
}

/** The transport's own sealing and demultiplexing. */
function sealedCpu(): number {
  const demux = new UdpDemux({
    maxDatagramBytes: 1400,
    warn: () => {
      throw new Error('warned');
    },
  });
  const sealers: DatagramSealer[] = [];
  let delivered = 0;
  for (let i = 0; i < SESSIONS; i++) {
    const s = demux.open('127.0.0.1', {
      deliver: () => (delivered += 1),
      warn: (w) => {
        throw new Error(w.message);
      },
      end: () => undefined,
    });
    sealers.push(new DatagramSealer(s.key, Direction.ToServer, tokenPrefix(s.token)));
  }
  const t = time(() => {
    for (let i = 0; i < N; i++) {
      const data = sealers[i % SESSIONS].seal(message);
      demux.receive({ data, address: '127.0.0.1', port: 5000 + (i % SESSIONS) });
    }
  });
  if (delivered !== N) throw new Error(`delivered ${delivered} of ${N}`);
  return t;
}

type Mac = 'siphash-2-4' | 'aes-256-cmac' | 'aes-256-gcm' | 'chacha20-poly1305' | 'hmac-sha256/128';
const MACS: readonly Mac[] = [
  'siphash-2-4',
  'aes-256-cmac',
  'aes-256-gcm',
  'chacha20-poly1305',
  'hmac-sha256/128',
];

/** The tag of one datagram made (seal) and checked (open) by `mac`, per datagram. */
function macAlone(mac: Mac): number {
  const raw = randomSessionKey();
  const key = createSecretKey(raw);
  const nonce = new Uint8Array(12);
  const nv = new DataView(nonce.buffer);
  const header = new Uint8Array(TOKEN_BYTES + 8);
  const options = { authTagLength: 16 };
  if (mac === 'siphash-2-4') {
    const sealer = new SipHash24(raw.subarray(0, 16));
    const opener = new SipHash24(raw.subarray(0, 16));
    const datagram = Uint8Array.from([...header, ...message, ...new Uint8Array(8)]);
    const end = header.length + message.length;
    return time(() => {
      for (let i = 0; i < N; i++) {
        sealer.tagInto(datagram, 0, end, datagram, end);
        if (!opener.verify(datagram, 0, end, end)) throw new Error('siphash');
      }
    });
  }
  if (mac === 'aes-256-cmac') {
    const sealer = new Cmac(raw);
    const opener = new Cmac(raw);
    const datagram = Uint8Array.from([...header, ...message, ...new Uint8Array(16)]);
    const end = header.length + message.length;
    return time(() => {
      for (let i = 0; i < N; i++) {
        datagram.set(sealer.tag([header, message]), end);
        if (!sameTag(datagram, end, opener.tag([datagram.subarray(0, end)])))
          throw new Error('cmac');
      }
    });
  }
  if (mac === 'hmac-sha256/128')
    return time(() => {
      for (let i = 0; i < N; i++) {
        const tag = createHmac('sha256', key).update(header).update(message).digest();
        const check = createHmac('sha256', key).update(header).update(message).digest();
        if (!sameTag(check, 0, tag.subarray(0, 16))) throw new Error('hmac');
      }
    });
  // Both are AEADs with a 12-byte nonce and a 16-byte tag; node's types name them apart.
  const algo = mac as 'aes-256-gcm';
  return time(() => {
    for (let i = 0; i < N; i++) {
      nv.setUint32(8, i, false);
      const c = createCipheriv(algo, key, nonce, options);
      c.setAAD(header);
      c.setAAD(message);
      c.final();
      const tag = c.getAuthTag();
      const d = createDecipheriv(algo, key, nonce, options);
      d.setAAD(header);
      d.setAAD(message);
      d.setAuthTag(tag);
      d.final();
    }
  });
}

/** N datagrams over loopback, each received and handed on; `prepare` builds what is sent, `receive` what the server does. */
async function loopback(
  prepare: (i: number) => Uint8Array | Uint8Array[],
  receive: (data: Buffer, port: number) => void,
): Promise<number> {
  const server = dgram.createSocket('udp4');
  const client = dgram.createSocket('udp4');
  server.bind(0, '127.0.0.1');
  client.bind(0, '127.0.0.1');
  await Promise.all([once(server, 'listening'), once(client, 'listening')]);
  const port = server.address().port;
  const count = Math.min(N, 50_000);
  let received = 0;
  const start = process.hrtime.bigint();
  // Sent in windows of 32, each received in full before the next: the socket buffer never
  // overflows, and the time is that of the sends and receives.
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    const burst = (): void => {
      const until = Math.min(count, sent + 32);
      for (; sent < until; sent++) client.send(prepare(sent), port, '127.0.0.1');
    };
    server.on('message', (data, rinfo) => {
      receive(data, rinfo.port);
      received += 1;
      if (received === count) resolve();
      else if (received === sent) burst();
    });
    burst();
    setTimeout(
      () => reject(new Error(`loopback: ${received} of ${count} received`)),
      60_000,
    ).unref();
  });
  const ns = Number(process.hrtime.bigint() - start) / count;
  client.close();
  server.close();
  return ns;
}

async function main(): Promise<void> {
  // Three rounds, interleaved, the best of each kept: the machine is shared, the noise is high.
  const best = { plain: Infinity, sealed: Infinity };
  const bestMac = new Map<Mac, number>(MACS.map((m) => [m, Infinity]));
  const bestLoop = { plain: Infinity, sealed: Infinity };
  const routes = new Map<number, number>([[1, 0]]);
  const prefix = tokenPrefix(1);
  const demux = new UdpDemux({ maxDatagramBytes: 1400, warn: () => undefined });
  const session = demux.open('127.0.0.1', {
    deliver: () => undefined,
    warn: () => undefined,
    end: () => undefined,
  });
  const sealer = new DatagramSealer(session.key, Direction.ToServer, tokenPrefix(session.token));
  for (let round = 0; round < 3; round++) {
    best.plain = Math.min(best.plain, plainCpu());
    best.sealed = Math.min(best.sealed, sealedCpu());
    for (const m of MACS) bestMac.set(m, Math.min(bestMac.get(m)!, macAlone(m)));
    bestLoop.plain = Math.min(
      bestLoop.plain,
      await loopback(
        () => [prefix, message],
        (data) => {
          routes.set(readToken(data), (routes.get(readToken(data)) ?? 0) + 1);
        },
      ),
    );
    bestLoop.sealed = Math.min(
      bestLoop.sealed,
      await loopback(
        () => sealer.seal(message),
        (data, port) => demux.receive({ data, address: '127.0.0.1', port }),
      ),
    );
  }
  const plain = best.plain;
  const sealed = best.sealed;
  const plainLoop = bestLoop.plain;
  const sealedLoop = bestLoop.sealed;

  const row = (name: string, a: number, b: number): string =>
    `${name.padEnd(44)} ${a.toFixed(0).padStart(6)} ns  ${b.toFixed(0).padStart(6)} ns  x${(b / a).toFixed(2)}  (+${(b - a).toFixed(0)} ns)`;
  console.log(
    `datagrams: ${N}, message: ${MESSAGE_BYTES} bytes, sealed: +${TOKEN_BYTES + 8 + TAG_BYTES - TOKEN_BYTES} bytes on the wire`,
  );
  console.log(`${''.padEnd(44)} ${'plain'.padStart(9)}  ${'sealed'.padStart(9)}  ratio`);
  console.log(row('cpu: send + demultiplex, per datagram', plain, sealed));
  console.log(row('loopback UDP: send + receive + demultiplex', plainLoop, sealedLoop));
  console.log(
    `tag made + checked alone: ${MACS.map((m) => `${m} ${bestMac.get(m)!.toFixed(0)} ns`).join(', ')}`,
  );
}

void main();
