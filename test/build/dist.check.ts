// The built package as `npm pack` makes it, installed in a consumer and resolved by its name: Node gets
// everything from 'game-network' (one copy for `import` and `require`), a browser bundler the core.
// Needs dist/, so it is not one of `npm test`'s files: `npm run test:dist` runs it (and `.ci/run`, after `npm run build`).
import { execFile } from 'node:child_process';
import {
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser, nodeBuiltinsIn } from './fixtures/bundle.js';
import { nodeTypesIn, typeCheck } from './fixtures/typeCheck.js';

const run = promisify(execFile);
/** npm as `npm run test:dist` started it (its CLI script under this Node), else `npm` on the PATH. */
const npm = process.env.npm_execpath?.endsWith('.js')
  ? { command: process.execPath, args: [process.env.npm_execpath] }
  : { command: 'npm', args: [] };
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

/**
 * A Node app that loads the package both ways, `import` and `require`, makes a
 * server refuse a join made through the other copy's `connect`, and prints a {@link MixedReport}.
 */
function mixedConsumer(esm: string, cjs: string) {
  return `
const esm = ${esm};
const cjs = ${cjs};
const esmNode = ${esm.replace("'game-network'", "'game-network/node'")};
const cjsNode = ${cjs.replace("'game-network'", "'game-network/node'")};
const namesOf = (m) => Object.keys(m).filter((n) => n !== 'default' && n !== 'module.exports').sort();
const report = {
  esmNames: namesOf(esm),
  cjsNames: namesOf(cjs),
  different: namesOf(cjs).filter((n) => esm[n] !== cjs[n] || esmNode[n] !== cjs[n] || cjsNode[n] !== cjs[n]),
};
// A server made by the ES module copy refuses everyone; a client of the CommonJS copy is refused.
const server = await esm.createServer({ host: '127.0.0.1', port: 0, authenticate: () => false });
try {
  await cjs.connect({ host: '127.0.0.1', port: server.address.tcpPort, username: 'ann' });
} catch (err) {
  report.refusal = {
    name: err.name,
    reason: err.reason,
    esmJoinRefused: err instanceof esm.JoinRefusedError,
    esmGameNetworkError: err instanceof esm.GameNetworkError,
    cjsJoinRefused: err instanceof cjs.JoinRefusedError,
  };
} finally {
  await server.close();
}
console.log(JSON.stringify(report));
`;
}

/** What {@link mixedConsumer} prints. */
interface MixedReport {
  esmNames: string[];
  cjsNames: string[];
  /** Exports whose value differs between the ES module and CommonJS loads (or their /node subpaths). */
  different: string[];
  refusal?: Record<string, unknown>;
}

const mixedEsmConsumer = `import { createRequire } from 'node:module';
${mixedConsumer("await import('game-network')", "createRequire(import.meta.url)('game-network')")}`;
const mixedCjsConsumer = `(async () => {${mixedConsumer(
  "await import('game-network')",
  "require('game-network')",
)}})().catch((err) => { console.error(err); process.exit(1); });`;

/** A Node app's use of the root entry's types (checked as .mts and as .cts). */
const nodeTypesUse = `
import { connect, createServer, nodeTransport, JoinRefusedError, RefuseReason, type GameClient, type GameServer, type ServerOptions } from 'game-network';
const options: ServerOptions = { host: '127.0.0.1', port: 0, transport: nodeTransport };
export const server: Promise<GameServer> = createServer(options);
export const client: Promise<GameClient> = connect({ host: '127.0.0.1', port: 7000, username: 'ann' });
export function refusedFor(err: unknown): RefuseReason | undefined {
  return err instanceof JoinRefusedError ? err.reason : undefined;
}
export const full: RefuseReason = RefuseReason.ServerFull;
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

  async function node<T = Report>(file: string, ...args: string[]): Promise<T> {
    const { stdout } = await run(process.execPath, [file, ...args], { cwd: dir, timeout: 30_000 });
    return JSON.parse(stdout) as T;
  }

  beforeAll(async () => {
    // A consumer outside the repository, with the package unpacked from `npm pack`'s tarball (what
    // would be published; no prepack: dist/ is built) and its dependencies and @types linked in.
    dir = await realpath(await mkdtemp(join(tmpdir(), 'game-network-consumer-')));
    const pkg = join(dir, 'node_modules', 'game-network');
    await mkdir(pkg, { recursive: true });
    await mkdir(join(dir, 'node_modules', '@msgpack'));
    const { stdout } = await run(
      npm.command,
      [...npm.args, 'pack', '--ignore-scripts', '--json', '--pack-destination', dir],
      { cwd: repoRoot, timeout: 60_000 },
    );
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    await run('tar', [
      '-xzf',
      join(dir, packed?.filename ?? ''),
      '-C',
      pkg,
      '--strip-components=1',
    ]);
    dist = join(pkg, 'dist');
    // What an install would bring: every dependency of the package, its peer rxjs, and types.
    const { dependencies = {} } = JSON.parse(
      await readFile(join(repoRoot, 'package.json'), 'utf8'),
    ) as { dependencies?: Record<string, string> };
    for (const name of ['@types', 'rxjs', ...Object.keys(dependencies)]) {
      await mkdir(dirname(join(dir, 'node_modules', name)), { recursive: true });
      await symlink(
        join(repoRoot, 'node_modules', name),
        join(dir, 'node_modules', name),
        'junction',
      );
    }
    await writeFile(join(dir, 'esm.mjs'), esmConsumer);
    await writeFile(join(dir, 'cjs.cjs'), cjsConsumer);
    await writeFile(join(dir, 'mixed.mjs'), mixedEsmConsumer);
    await writeFile(join(dir, 'mixed.cjs'), mixedCjsConsumer);
  }, 120_000);
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

  for (const file of ['mixed.mjs', 'mixed.cjs']) {
    it(`Node, import and require in one app (${file}): one copy of every class, instanceof works across them`, async () => {
      const report = await node<MixedReport>(file);
      expect(report.esmNames).toEqual(report.cjsNames);
      expect(report.esmNames).toContain('JoinRefusedError');
      expect(report.different).toEqual([]);
      expect(report.refusal).toEqual({
        name: 'JoinRefusedError',
        reason: 'bad-credentials',
        esmJoinRefused: true,
        esmGameNetworkError: true,
        cjsJoinRefused: true,
      });
    });
  }

  it('the tarball holds the built entries, the LICENSE and no source map or CommonJS CLI', async () => {
    const files = await readdir(dist);
    expect(files).toEqual(
      expect.arrayContaining(['index.mjs', 'index.cjs', 'node.mjs', 'node.cjs', 'cli.mjs']),
    );
    expect(files.filter((file) => file.endsWith('.map') || file === 'cli.cjs')).toEqual([]);
    expect(await readdir(join(dist, '..'))).toContain('LICENSE');
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

  it('a browser bundler given import and require of game-network bundles one copy: the ES module core', async () => {
    const entry = join(
      await project('browser-mixed', {
        'app.js': [
          "import { JoinRefusedError } from 'game-network';",
          "const required = require('game-network');",
          'export const same = required.JoinRefusedError === JoinRefusedError;',
          '',
        ].join('\n'),
      }),
      'app.js',
    );
    const bundle = await bundleForBrowser(entry, dir);
    expect(bundle.errors).toEqual([]);
    expect(bundle.loaded).toContain(join(dist, 'index.mjs'));
    expect(bundle.loaded).not.toContain(join(dist, 'index.cjs'));
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
