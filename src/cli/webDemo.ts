// The web demo: a server with the web endpoint that also serves the page, and two Node bots in the same match.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type GameServer } from '../node.js';
import { Bot } from './bot.js';
import { Simulation } from './simulation.js';
import { bundleWebPage } from './webBundle.js';
import { webPageHtml } from './webPageHtml.js';

/** Options of {@link startWebDemo}. */
export interface WebDemoOptions {
  /** Address to listen on. Default `'127.0.0.1'`. */
  readonly host?: string;
  /** The HTTP port (the page and the WebSocket endpoint). Default `8080`; 0 picks one. */
  readonly port?: number;
  /** Node bots playing (over UDP). Default `2`. */
  readonly bots?: number;
  /** Ticks per second. Default `30`. */
  readonly tickRate?: number;
  /** Players at most (bots and tabs). Default `8`. */
  readonly maxPlayers?: number;
  /** How long a stalled player may hold the match before it is dropped, ms. Default `3000`. */
  readonly disconnectTimeoutMs?: number;
  /** Loss on every link (the link conditioner, at the server and at each bot), 0..1. Default `0`. */
  readonly loss?: number;
  /** Ms the server waits for a page's data channel before its datagrams stay on the WebSocket. Default `3000`. */
  readonly dataChannelTimeoutMs?: number;
}

/** A running web demo. */
export interface WebDemo {
  readonly server: GameServer;
  readonly bots: readonly Bot[];
  /** The page's address: `http://host:port/`. */
  readonly url: string;
  /** The referee's checksum (the world from the server's own frames) by tick, every 30 ticks, the last 64. */
  readonly refereeChecksums: ReadonlyMap<number, number>;
  close(): Promise<void>;
}

/** Every 30 ticks each bot says its checksum in the chat (`sum <tick> <hex>`): the page shows them beside its own. */
const SUM_EVERY = 30;

/**
 * Starts the web demo: a server (Node transport for the bots, web endpoint for the pages) whose
 * HTTP server also serves the page (`/`) and its script (`/demo.js`, bundled at start), and
 * `bots` Node bots that play the dot game and post their checksums in the chat.
 */
export async function startWebDemo(options: WebDemoOptions = {}): Promise<WebDemo> {
  const host = options.host ?? '127.0.0.1';
  const maxPlayers = options.maxPlayers ?? 8;
  const loss = options.loss ?? 0;
  const script = await bundleWebPage();
  const html = webPageHtml('/demo.js');
  const onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405).end();
    } else if (path === '/' || path === '/index.html') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } else if (path === '/demo.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  };
  const server = await createServer({
    host,
    port: 0,
    tickRate: options.tickRate ?? 30,
    maxPlayers,
    disconnectTimeoutMs: options.disconnectTimeoutMs ?? 3000,
    conditioner: loss > 0 ? { loss, seed: 11 } : undefined,
    web: {
      port: options.port ?? 8080,
      onRequest,
      dataChannelTimeoutMs: options.dataChannelTimeoutMs ?? 3000,
    },
  });
  const referee = new Simulation(maxPlayers);
  const refereeChecksums = new Map<number, number>();
  server.frames$.subscribe((frame) => {
    referee.step(frame);
    if (frame.tick % SUM_EVERY === 0) {
      refereeChecksums.set(frame.tick, referee.checksum());
      refereeChecksums.delete(frame.tick - SUM_EVERY * 64);
    }
  });
  const bots: Bot[] = [];
  try {
    for (let i = 0; i < (options.bots ?? 2); i++) {
      const bot = await Bot.join(
        {
          host,
          port: server.address.tcpPort,
          username: `bot-${i + 1}`,
          conditioner: loss > 0 ? { loss, seed: 100 + i } : undefined,
        },
        { ticks: Number.MAX_SAFE_INTEGER, minPlayers: 1, seed: 1000 + i },
      );
      bot.client.frames$.subscribe((frame) => {
        if (frame.tick % SUM_EVERY === 0)
          bot.client.sendChat(
            `sum ${frame.tick} ${bot.sim.checksum().toString(16).padStart(8, '0')}`,
          );
      });
      bot.start();
      bots.push(bot);
    }
  } catch (err) {
    await Promise.all(bots.map((b) => b.close()));
    await server.close();
    throw err;
  }
  return {
    server,
    bots,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${server.address.webPort}/`,
    refereeChecksums,
    close: async () => {
      await Promise.all(bots.map((b) => b.close()));
      await server.close();
    },
  };
}
