// IP addresses as the Node transport keeps them: IPv4-mapped IPv6 addresses in plain IPv4 form.
import { isIPv4 } from 'node:net';

/**
 * An IPv4 address mapped into IPv6 (`::ffff:1.2.3.4`) as plain IPv4 (`1.2.3.4`); any other
 * address as it is.
 *
 * A dual-stack IPv6 socket sees IPv4 peers in mapped form; the Node transport compares and
 * reports addresses in plain form everywhere, and maps them back only to send.
 *
 * @example
 * plainAddress('::ffff:10.0.0.1'); // '10.0.0.1'
 * plainAddress('::1'); // '::1'
 */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * An address in the form a socket of `family` sends to: plain IPv4 mapped into IPv6
 * (`::ffff:a.b.c.d`) for an IPv6 socket, so a dual-stack socket reaches IPv4 peers.
 */
export function socketAddress(address: string, family: string): string {
  return family === 'IPv6' && isIPv4(address) ? `::ffff:${address}` : address;
}
