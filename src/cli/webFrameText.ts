// A confirmed frame as one line of text, for comparing the frames of browser pages, bots and the server byte for byte.
import { hex } from '../hex.js';
import type { ConfirmedFrame } from '../index.js';

/**
 * `tick|inputs|joined|left`: every input in hex by slot (`-` for none), and the players who
 * joined or left (`slot:name`). Equal lines mean equal frames.
 */
export function frameText(frame: ConfirmedFrame): string {
  const inputs = frame.inputs.map((i) => (i ? hex(i) : '-')).join(',');
  const players = (list: readonly { playerId: number; username: string }[] | undefined): string =>
    (list ?? []).map((p) => `${p.playerId}:${p.username}`).join(',');
  return `${frame.tick}|${inputs}|${players(frame.joined)}|${players(frame.left)}`;
}
