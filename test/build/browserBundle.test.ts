// The core entry bundles for a browser: no Node built-in, no polyfill, and no server or socket code.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleForBrowser, nodeBuiltinsIn, type BrowserBundle } from './fixtures/bundle.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const app = fileURLToPath(new URL('./fixtures/browser-app/app.ts', import.meta.url));

/** Source folders and files that only run on Node: none of them may be in a browser bundle. */
const nodeOnly = [
  'src/node.ts',
  'src/node/',
  'src/server/',
  'src/sources/',
  'src/transport/nodeTransport.ts',
  'src/transport/node/',
];

describe('a browser app that imports connect, lockstep and conditionLink from the core entry', () => {
  let bundle: BrowserBundle;
  beforeAll(async () => {
    bundle = await bundleForBrowser(app, repoRoot);
  }, 60_000);

  it('bundles with platform browser, nothing external and no polyfill', () => {
    expect(bundle.errors).toEqual([]);
    expect(bundle.loaded).toContain(`${repoRoot}src/index.ts`);
  });

  it('imports no Node built-in', () => {
    expect(bundle.builtins).toEqual([]);
    expect(nodeBuiltinsIn(bundle.code)).toEqual([]);
  });

  it('holds no server, socket source or Node transport', () => {
    const files = bundle.loaded.map((file) => file.slice(repoRoot.length));
    expect(files.filter((file) => nodeOnly.some((path) => file.startsWith(path)))).toEqual([]);
    expect(bundle.code).not.toContain('createServer');
  });
});

describe('the Node built-in finder the bundle check relies on', () => {
  it('finds node: and bare built-in loads, and nothing else', () => {
    const code = [
      'var a = require("node:net");',
      "import { b } from 'dgram';",
      'import "node:events";',
      'const c = await import(`fs/promises`);',
      'import { d } from "rxjs"; var e = require("netflix"); const f = "events";',
    ].join('\n');
    expect(nodeBuiltinsIn(code)).toEqual(['node:net', 'dgram', 'node:events', 'fs/promises']);
  });
});
