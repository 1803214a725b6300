/** Flag values checked and converted: integers, numbers (or percentages) and HOST:PORT. */
import { type CommandName, UsageError } from './usageError.js';

/**
 * An integer flag in [min, max].
 * @throws UsageError naming the flag, the range and what was given.
 */
export function parseInteger(
  command: CommandName,
  flag: string,
  text: string,
  min: number,
  max: number,
): number {
  const value = /^[+-]?\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new UsageError(
      `--${flag} must be an integer from ${min} to ${max}, got '${text}'`,
      command,
    );
  return value;
}

/**
 * A number flag in [min, max]; with `percent`, `10%` is read as 0.1.
 * @throws UsageError naming the flag, the range and what was given.
 */
export function parseNumber(
  command: CommandName,
  flag: string,
  text: string,
  min: number,
  max: number,
  percent = false,
): number {
  const t = text.trim();
  const isPercent = percent && t.endsWith('%');
  const body = isPercent ? t.slice(0, -1) : t;
  let value = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(body) ? Number(body) : NaN;
  if (isPercent) value /= 100;
  if (!Number.isFinite(value) || value < min || value > max) {
    const range = percent
      ? `a number from ${min} to ${max} or a percentage from ${min * 100}% to ${max * 100}%`
      : `a number from ${min} to ${max}`;
    throw new UsageError(`--${flag} must be ${range}, got '${text}'`, command);
  }
  return value;
}

/**
 * `host:port`, `[ipv6]:port`, or a bare port (on 127.0.0.1).
 * @throws UsageError if it is none of these, or the port is not 1..65535.
 */
export function parseHostPort(
  command: CommandName,
  flag: string,
  text: string,
): { host: string; port: number } {
  const t = text.trim();
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(t) ?? /^([^:\s[\]]+):(\d+)$/.exec(t);
  const bare = /^\d+$/.exec(t);
  const host = match ? match[1] : bare ? '127.0.0.1' : undefined;
  const port = match ? Number(match[2]) : bare ? Number(t) : NaN;
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(
      `--${flag} must be HOST:PORT with a port from 1 to 65535 (like 127.0.0.1:7777), got '${text}'`,
      command,
    );
  return { host, port };
}
