// Prints the peers tables again from a saved run (npm run bench -- --only peers writes
// $TMPDIR/game-network-bench-peers.json): npx tsx bench/peersTable.ts <file.json>

import { readFileSync } from 'node:fs';
import { peersTables, type PeersResult } from './peers.js';

const file = process.argv[2];
if (!file) throw new Error('usage: tsx bench/peersTable.ts <game-network-bench-peers.json>');
// Figures that were NaN are null in the JSON.
const result = JSON.parse(readFileSync(file, 'utf8'), (_key, value: unknown) =>
  value === null ? NaN : value,
) as PeersResult;
process.stdout.write(`${peersTables(result)}\n`);
