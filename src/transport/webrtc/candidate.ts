// ICE candidate lines: read the few fields the web transport checks, rewrite the address to advertise.

/** The fields of a candidate line the web transport looks at. */
export interface CandidateFields {
  /** `udp` or `tcp` (lower case). */
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
  /** `host`, `srflx`, `prflx` or `relay`. */
  readonly type: string;
}

/**
 * Reads `candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> ...`
 * (with or without a leading `a=`).
 *
 * @returns The fields, or undefined if the line is not a candidate.
 */
export function parseCandidate(line: string): CandidateFields | undefined {
  const body = line.startsWith('a=') ? line.slice(2) : line;
  if (!body.startsWith('candidate:')) return undefined;
  const parts = body.slice('candidate:'.length).trim().split(/\s+/);
  if (parts.length < 8 || parts[6] !== 'typ') return undefined;
  const port = Number(parts[5]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return {
    protocol: (parts[2] ?? '').toLowerCase(),
    address: parts[4] ?? '',
    port,
    type: parts[7] ?? '',
  };
}

/**
 * Whether the server can use a candidate of a peer: UDP (the server gathers no TCP ones), and
 * not an mDNS name (`*.local`, which the server does not resolve: the peer is found from its
 * connectivity checks instead, as a peer-reflexive candidate).
 */
export function usableRemoteCandidate(line: string): boolean {
  const c = parseCandidate(line);
  return c !== undefined && c.protocol === 'udp' && !c.address.endsWith('.local') && c.port > 0;
}

/**
 * The candidate line without `a=`, its address replaced by `publicAddress` if one is given
 * (a server behind a NAT or a container advertises where it is reached, as its host candidate).
 *
 * @returns The line to signal, or undefined if it is not a UDP candidate (never signalled).
 */
export function advertisedCandidate(line: string, publicAddress?: string): string | undefined {
  const body = line.startsWith('a=') ? line.slice(2) : line;
  const c = parseCandidate(body);
  if (c === undefined || c.protocol !== 'udp') return undefined;
  if (publicAddress === undefined) return body;
  const parts = body.split(' ');
  parts[4] = publicAddress;
  return parts.join(' ');
}
