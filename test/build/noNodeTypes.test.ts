// The core entry's types compile without @types/node: a strict ES2022 + DOM project that imports connect.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeTypesIn, typeCheck } from './fixtures/typeCheck.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const project = fileURLToPath(new URL('./fixtures/browser-app/tsconfig.json', import.meta.url));

describe('a TypeScript project with "types": [] that imports connect from the core entry', () => {
  it('type-checks with no error, and never reads @types/node', () => {
    const { errors, files } = typeCheck(project);
    expect(errors).toEqual([]);
    expect(files).toContain(`${repoRoot}src/index.ts`);
    expect(nodeTypesIn(files)).toEqual([]);
  }, 120_000);
});
