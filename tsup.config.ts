import { createRequire } from 'node:module';
import { writeFile } from 'node:fs/promises';
import { defineConfig, type Options } from 'tsup';

// The build: the core entry (index) for browsers and bundlers, the Node entry (node), and the CLI.
//
// One copy in Node: `import` and `require` of 'game-network' in one Node app must share every class
// (`instanceof JoinRefusedError` across them). Node 20 has no unflagged require(esm), so the Node entry
// is built once, as CommonJS (dist/node.cjs), and dist/node.mjs is a thin ES module wrapper that
// re-exports it (the wrapper Node's documentation recommends against the dual package hazard).
// The core entry stays a real ES module (dist/index.mjs, tree-shaken by bundlers) beside dist/index.cjs;
// the `module` condition in package.json sends a bundler's `require` to the ES module too.
//
// Source maps: none. The output is not minified (ES2022, names and comments kept, each module marked
// with its source path), so a stack trace already reads like the source; maps would more than double
// the package and, with no src/ in it, would have to carry every source file inside them.
// dist/ is emptied by `npm run build` before tsup runs: the three builds below run at the same time.
const shared: Options = {
  target: 'node20',
  sourcemap: false,
  splitting: false,
  treeshake: true,
  outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.cjs' }),
};

/** The ES module wrapper over dist/node.cjs: one named export per export of the CommonJS build. */
async function writeNodeWrapper(): Promise<void> {
  const require = createRequire(import.meta.url);
  const path = require.resolve('./dist/node.cjs');
  delete require.cache[path];
  const names = Object.keys(require(path) as Record<string, unknown>).sort();
  const text = [
    '// The Node ES module entry: re-exports the CommonJS build, so `import` and `require` share one copy of every class.',
    "import cjs from './node.cjs';",
    '',
    `export const { ${names.join(', ')} } = cjs;`,
    '',
  ].join('\n');
  await writeFile('dist/node.mjs', text);
}

export default defineConfig([
  {
    // The core as ES module and CommonJS, and the type declarations of both entries (one shared chunk).
    ...shared,
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: { entry: { index: 'src/index.ts', node: 'src/node.ts' } },
  },
  {
    // The Node entry: CommonJS only, and the ES module wrapper over it.
    ...shared,
    entry: { node: 'src/node.ts' },
    format: ['cjs'],
    onSuccess: writeNodeWrapper,
  },
  {
    // The `game-network` command: ES module only (package.json's `bin` runs dist/cli.mjs).
    ...shared,
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
  },
]);
