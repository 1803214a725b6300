// Reads a V8 .cpuprofile (npm run bench -- --cpu-prof) and prints where the time went: the
// top functions by self time (file:function, % of samples) and the same grouped by kind.
//
//   npx tsx bench/profileTop.ts <file.cpuprofile> [top=40]

import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** What a function is, from its file and name. */
export function kindOf(url: string, fn: string, parent = ''): string {
  // A native function (no file) is what its caller is, but for the send system call.
  if (url === '' && parent !== '' && !fn.startsWith('(') && fn !== 'send') {
    const byParent = kindOf(parent.split('|')[0], parent.split('|')[1] ?? '');
    if (byParent !== 'other' && byParent !== 'node internals / native') return byParent;
  }
  const u = url.replace(/^file:\/\//, '');
  if (fn === '(idle)') return 'idle';
  // The inspector session of --cpu-prof itself (starting and stopping the profiler).
  if (fn === 'dispatch' && parent.endsWith('|post')) return 'profiler itself';
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return 'V8/native (program)';
  if (
    /crypto|datagramSeal|sessionToken/i.test(u) ||
    /Cipher|Decipher|^(initiv|setAAD|getAuthTag|setAuthTag|final|update)$/.test(fn)
  )
    return 'crypto';
  if (u.includes('@msgpack') || u.includes('src/protocol/')) return 'msgpack / protocol codec';
  if (u.includes('node_modules/rxjs')) return 'Observables/Subjects (rxjs)';
  if (/src\/match\/(Assembler|InputRing|Match|Roster|FrameLog)|operators\/lockstep/.test(u))
    return 'assembler / match';
  if (/internal\/timers|node:timers/.test(u) || /setTimeout|clearTimeout|listOnTimeout/.test(fn))
    return 'timers';
  if (/dgram|udp|internal\/net|node:net|stream_base/.test(u) || /^(send|onMessage)$/.test(fn))
    return 'socket (dgram/net)';
  if (u.includes('/src/link/') || /operators\/(sendWindow|inOrder)/.test(u))
    return 'link (send windows, in-order)';
  if (u.includes('/src/server/')) return 'server (gateway, seats, fanout)';
  if (u.includes('/bench/')) return 'bench instrumentation';
  if (u.includes('/src/')) return 'other game-network';
  if (u.startsWith('node:') || u === '') return 'node internals / native';
  return 'other';
}

function main(): void {
  const [file, topArg] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/profileTop.ts <file.cpuprofile> [top]');
  const top = Number(topArg ?? 40);
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, ProfileNode>();
  for (const n of p.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  let total = 0;
  let idle = 0;
  const fns = new Map<string, { us: number; kind: string }>();
  const kinds = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const parent = parentOf.get(id)?.callFrame;
    const kind = kindOf(url, functionName, parent ? `${parent.url}|${parent.functionName}` : '');
    total += us;
    if (kind === 'idle') {
      idle += us;
      continue;
    }
    const short = url.replace(/^.*\/(node_modules\/|src\/|bench\/)/, '$1');
    const caller = url === '' && parent ? ` <- ${parent.functionName || '(anonymous)'}` : '';
    const key = `${short || '(native)'}:${functionName || '(anonymous)'}${caller}`;
    void lineNumber;
    const e = fns.get(key) ?? { us: 0, kind };
    e.us += us;
    fns.set(key, e);
    kinds.set(kind, (kinds.get(kind) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number): string => `${((100 * us) / busy).toFixed(1)}%`;
  process.stdout.write(
    `${file}: ${(total / 1000).toFixed(0)} ms sampled, ${(busy / 1000).toFixed(0)} ms busy ` +
      `(${((100 * busy) / total).toFixed(0)}%); percentages are of the busy samples\n\nBy kind:\n`,
  );
  for (const [k, us] of [...kinds].sort((a, b) => b[1] - a[1]))
    process.stdout.write(`  ${pct(us).padStart(6)}  ${k}\n`);
  process.stdout.write(`\nTop ${top} functions by self time:\n`);
  for (const [k, e] of [...fns].sort((a, b) => b[1].us - a[1].us).slice(0, top))
    process.stdout.write(`  ${pct(e.us).padStart(6)}  ${k}  [${e.kind}]\n`);
}

main();
