// The built package, resolved by its name: Node gets everything from 'game-network', a browser bundler the core.
// Needs dist/, so it is not one of `npm test`'s files: `npm run test:dist` runs it (and `.ci/run`, after `npm run build`).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser, nodeBuiltinsIn } from './fixtures/bundle.js';
import { nodeTypesIn, typeCheck } from './fixtures/typeCheck.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** What a Node consumer prints about the package (see `consumer` below). */
interface Report {
  root: Record<string, string>;
  sameAsSubpath: boolean;
  resolved: string;
  subpathResolved: string;
  playerId?: number;
}

/** A consumer that loads the package by name with `load` and prints a {@link Report}. */
function consumer(load: (specifier: string) => string, resolve: (specifier: string) => string) {
  return `
const root = ${load('game-network')};
const node = ${load('game-network/node')};
const report = {
  root: Object.fromEntries(['createServer', 'connect', 'nodeTransport', 'GameServer', 'GameClient',
    'fromUdpSocket', 'listenTcp', 'lockstep', 'createMemoryTransport'].map((n) => [n, typeof root[n]])),
  sameAsSubpath: root.connect === node.connect && root.createServer === node.createServer,
  resolved: ${resolve('game-network')},
  subpathResolved: ${resolve('game-network/node')},
};
if (process.argv[2] === 'play') {
  // connect from the package root, with no transport given, reaches a server on loopback.
  const server = await root.createServer({ host: '127.0.0.1', port: 0 });
  try {
    const client = await root.connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'ann' });
    report.playerId = client.playerId;
    await client.close();
  } finally {
    await server.close();
  }
}
console.log(JSON.stringify(report));
`;
}

const esmConsumer = consumer(
  (s) => `await import('${s}')`,
  (s) => `import.meta.resolve('${s}')`,
);
// CommonJS has no top-level await: the body runs in an async function.
const cjsConsumer = `(async () => {${consumer(
  (s) => `require('${s}')`,
  (s) => `require.resolve('${s}')`,
)}})().catch((err) => { console.error(err); process.exit(1); });`;

/** A Node app's use of the root entry's types (checked as .mts and as .cts). */
const nodeTypesUse = `
import { connect, createServer, nodeTransport, type GameClient, type GameServer, type ServerOptions } from 'game-network';
const options: ServerOptions = { host: '127.0.0.1', port: 0, transport: nodeTransport };
export const server: Promise<GameServer> = createServer(options);
export const client: Promise<GameClient> = connect({ host: '127.0.0.1', port: 7000, username: 'ann' });
`;

/** A browser app's use of the core's types, which must not carry the server's. */
const coreTypesUse = `
import * as core from 'game-network';
import type { GameClient, Transport } from 'game-network';
export function join(transport: Transport): Promise<GameClient> {
  return core.connect({ host: 'game.example', port: 7000, username: 'ann', transport });
}
type HasServer = 'createServer' extends keyof typeof core ? true : false;
export const hasServer: HasServer = false;
`;

/** What the README tells a "bundler"-resolution project for Node: server parts from the subpath. */
const bundlerNodeTypesUse = `
import { connect, type GameClient } from 'game-network';
import { createServer, nodeTransport, type GameServer } from 'game-network/node';
export const server: Promise<GameServer> = createServer({ transport: nodeTransport });
export const client: Promise<GameClient> = connect({ host: '127.0.0.1', port: 7000, username: 'ann', transport: nodeTransport });
`;

function tsconfig(options: Record<string, unknown>, files: string[]): string {
  const base = {
    target: 'ES2022',
    strict: true,
    noEmit: true,
    forceConsistentCasingInFileNames: true,
  };
  return JSON.stringify({ compilerOptions: { ...base, ...options }, files });
}

describe('the built package, imported by name', () => {
  let dir = '';
  let dist = '';

  /** Writes `files` (name -> text) into a new folder of the consumer and returns its path. */
  async function project(name: string, files: Record<string, string>): Promise<string> {
    const path = join(dir, name);
    await mkdir(path, { recursive: true });
    for (const [file, text] of Object.entries(files)) await writeFile(join(path, file), text);
    return path;
  }

  async function node(file: string, ...args: string[]): Promise<Report> {
    const { stdout } = await run(process.execPath, [file, ...args], { cwd: dir, timeout: 30_000 });
    return JSON.parse(stdout) as Report;
  }

  beforeAll(async () => {
    dist = join(await realpath(repoRoot), 'dist');
    // A consumer outside the repository, with the package (and @types) linked in as npm would.
    dir = await realpath(await mkdtemp(join(tmpdir(), 'game-network-consumer-')));
    await mkdir(join(dir, 'node_modules'));
    await symlink(repoRoot, join(dir, 'node_modules', 'game-network'), 'junction');
    await symlink(
      join(repoRoot, 'node_modules', '@types'),
      join(dir, 'node_modules', '@types'),
      'dir',
    );
    await writeFile(join(dir, 'esm.mjs'), esmConsumer);
    await writeFile(join(dir, 'cjs.cjs'), cjsConsumer);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const nodeNames = {
    createServer: 'function',
    connect: 'function',
    nodeTransport: 'object',
    GameServer: 'function',
    GameClient: 'function',
    fromUdpSocket: 'function',
    listenTcp: 'function',
    lockstep: 'function',
    createMemoryTransport: 'function',
  };

  it('Node ESM: import from game-network finds createServer, connect and nodeTransport', async () => {
    const report = await node('esm.mjs');
    expect(report.root).toEqual(nodeNames);
    expect(report.sameAsSubpath).toBe(true);
    expect(fileURLToPath(report.resolved)).toBe(join(dist, 'node.mjs'));
    expect(fileURLToPath(report.subpathResolved)).toBe(join(dist, 'node.mjs'));
  });

  it('Node CJS: require of game-network finds createServer, connect and nodeTransport', async () => {
    const report = await node('cjs.cjs');
    expect(report.root).toEqual(nodeNames);
    expect(report.sameAsSubpath).toBe(true);
    expect(report.resolved).toBe(join(dist, 'node.cjs'));
    expect(report.subpathResolved).toBe(join(dist, 'node.cjs'));
  });

  it('Node: connect from game-network, with no transport given, joins a server on loopback', async () => {
    const report = await node('esm.mjs', 'play');
    expect(report.playerId).toBe(0);
  });

  it('a browser bundler (platform browser) gets the core entry, with no Node built-in', async () => {
    const entry = join(
      await project('browser', {
        'app.js': "export { connect, lockstep, conditionLink } from 'game-network';\n",
      }),
      'app.js',
    );
    const bundle = await bundleForBrowser(entry, dir);
    expect(bundle.errors).toEqual([]);
    expect(bundle.builtins).toEqual([]);
    expect(nodeBuiltinsIn(bundle.code)).toEqual([]);
    expect(bundle.loaded).toContain(join(dist, 'index.mjs'));
    expect(bundle.loaded).not.toContain(join(dist, 'node.mjs'));
    expect(bundle.code).not.toContain('createServer');
  });

  for (const resolution of ['Node16', 'NodeNext']) {
    it(`types, moduleResolution ${resolution}: the root entry has the server, in .mts and .cts`, async () => {
      const path = await project(`types-${resolution}`, {
        'tsconfig.json': tsconfig(
          { module: resolution, moduleResolution: resolution, types: ['node'], skipLibCheck: true },
          ['app.mts', 'app.cts'],
        ),
        'app.mts': nodeTypesUse,
        'app.cts': nodeTypesUse,
      });
      const { errors, files } = typeCheck(join(path, 'tsconfig.json'));
      expect(errors).toEqual([]);
      expect(files).toContain(join(dist, 'node.d.ts'));
      expect(files).toContain(join(dist, 'node.d.cts'));
    }, 120_000);
  }

  it('types, moduleResolution Bundler, no @types/node: the root entry is the core, and it type-checks', async () => {
    const path = await project('types-bundler-core', {
      'tsconfig.json': tsconfig(
        {
          module: 'ESNext',
          moduleResolution: 'Bundler',
          lib: ['ES2022', 'DOM'],
          types: [],
          skipLibCheck: false,
        },
        ['app.ts'],
      ),
      'app.ts': coreTypesUse,
    });
    const { errors, files } = typeCheck(join(path, 'tsconfig.json'));
    expect(errors).toEqual([]);
    expect(files).toContain(join(dist, 'index.d.ts'));
    expect(nodeTypesIn(files)).toEqual([]);
  }, 120_000);

  it("types, moduleResolution Bundler for Node: server parts from 'game-network/node'", async () => {
    const path = await project('types-bundler-node', {
      'tsconfig.json': tsconfig(
        { module: 'ESNext', moduleResolution: 'Bundler', types: ['node'], skipLibCheck: true },
        ['app.ts'],
      ),
      'app.ts': bundlerNodeTypesUse,
    });
    const { errors, files } = typeCheck(join(path, 'tsconfig.json'));
    expect(errors).toEqual([]);
    expect(files).toContain(join(dist, 'node.d.ts'));
  }, 120_000);

  it('types, moduleResolution Bundler with customConditions ["node"]: the root entry has the server', async () => {
    const path = await project('types-bundler-custom', {
      'tsconfig.json': tsconfig(
        {
          module: 'ESNext',
          moduleResolution: 'Bundler',
          customConditions: ['node'],
          types: ['node'],
          skipLibCheck: true,
        },
        ['app.ts'],
      ),
      'app.ts': nodeTypesUse,
    });
    const { errors } = typeCheck(join(path, 'tsconfig.json'));
    expect(errors).toEqual([]);
  }, 120_000);
});
