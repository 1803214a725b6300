// A self-signed certificate for tests, made at run time with the openssl command (no private key is ever committed).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private key and its self-signed certificate, in PEM. */
export interface SelfSigned {
  readonly key: string;
  readonly cert: string;
}

/**
 * A fresh P-256 key and a certificate for `localhost` and 127.0.0.1, valid one day, made by
 * `openssl req -x509` in a temporary directory that is removed at once.
 *
 * @throws {Error} if the `openssl` command is not there (the TLS tests need it: install it).
 */
export function selfSigned(): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'game-network-tls-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
