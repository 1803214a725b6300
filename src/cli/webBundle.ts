// The web demo's page script: web/demoPage.ts with the library's core entry, bundled for the browser by esbuild.
import { fileURLToPath } from 'node:url';

/** The page's source, from this file (src/cli/ or dist/). */
const PAGE_SOURCE = fileURLToPath(new URL('../../web/demoPage.ts', import.meta.url));

/**
 * Bundles the demo page (web/demoPage.ts, which imports the core entry, src/index.ts) for a
 * browser: ESM, everything inlined, `platform: 'browser'`, so no Node built-in can come in.
 *
 * @returns The script's text.
 * @throws if esbuild is not installed (it is a dev dependency) or the page does not build.
 */
export async function bundleWebPage(entry: string = PAGE_SOURCE): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles.map((file) => file.text).join('\n');
}
