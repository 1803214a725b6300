// The V8 profiler of a bench child, for --cpu-prof: started and stopped around its measuring window only.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Starts the V8 profiler in this process (the window only, not the start-up). */
export function startProfile(): Promise<Session> {
  const session = new Session();
  session.connect();
  return session
    .post('Profiler.enable')
    .then(() => session.post('Profiler.setSamplingInterval', { interval: 200 }))
    .then(() => session.post('Profiler.start'))
    .then(() => session);
}

/** Stops it and writes `<dir>/<name>.cpuprofile`. */
export async function stopProfile(
  started: Promise<Session>,
  where: { readonly dir: string; readonly name: string },
): Promise<void> {
  const session = await started;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  mkdirSync(where.dir, { recursive: true });
  writeFileSync(`${where.dir}/${where.name}.cpuprofile`, JSON.stringify(profile));
}
