/**
 * PSK-TLS through Node's own `tls` module (OpenSSL): TLS 1.2 with the PSK
 * cipher suites of GlobalPlatform Amendment B (RFC 4279 / RFC 5487), no
 * certificate at all, no session tickets, no encrypt-then-MAC (cards have been
 * seen aborting on both). NSS key-log lines for Wireshark via the `keylog` event.
 */
import tls from 'node:tls';
import { constants } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { InputError, IoError, NetworkError } from '../util/errors.js';

export const TLS_LAYER = 'PSK-TLS';

/**
 * Default suites, in the server's order of preference: TLS_PSK_WITH_AES_128_CBC_SHA256
 * (00AE) then TLS_PSK_WITH_AES_128_CBC_SHA (008C). TLS_PSK_WITH_3DES_EDE_CBC_SHA (008B)
 * is not offered by the OpenSSL inside Node 20.
 */
export const DEFAULT_PSK_CIPHERS = 'PSK-AES128-CBC-SHA256:PSK-AES128-CBC-SHA';

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
const VERSIONS: Record<string, TlsVersion> = { '1.0': 'TLSv1', '1': 'TLSv1', '1.1': 'TLSv1.1', '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };

export function tlsVersion(v: string, field: string): TlsVersion {
  const t = VERSIONS[v.replace(/^tlsv?/i, '')];
  if (!t) throw new InputError(`"${v}" is not a TLS version (1.0, 1.1, 1.2, 1.3)`, { field });
  return t;
}

export interface PskTlsOptions {
  /** OpenSSL cipher list; NULL suites get @SECLEVEL=0 added (OpenSSL refuses them otherwise). */
  ciphers?: string;
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  /** Keep session tickets / encrypt-then-MAC (off by default). */
  allowTickets?: boolean;
  allowEncryptThenMac?: boolean;
}

/** The cipher string to give OpenSSL; refuses lists without a PSK suite (no certificate fallback). */
export function pskCipherString(list: string | undefined): string {
  const s = list ?? DEFAULT_PSK_CIPHERS;
  const names = s.split(':').filter((x) => x && !x.startsWith('@'));
  // PSK, DHE-PSK, ECDHE-PSK (and TLS 1.3 suites, which take the PSK callback); RSA-PSK needs a certificate.
  if (!names.length || names.some((n) => !/^(PSK|DHE-PSK|ECDHE-PSK)-/.test(n) && !/^TLS_/.test(n))) {
    throw new InputError(`"${s}": only PSK cipher suites (PSK-…) are allowed, there is no certificate`, { layer: TLS_LAYER, field: '--cipher' });
  }
  let out = s;
  if (names.some((n) => /NULL/.test(n)) && !/@SECLEVEL=0/.test(s)) out += ':@SECLEVEL=0';
  // Fail early and clearly on a suite this OpenSSL lacks (PSK-3DES-EDE-CBC-SHA in Node 20).
  try {
    tls.createSecureContext({ ciphers: out });
  } catch (e) {
    throw new InputError(`"${s}": ${(e as Error).message} (openssl ciphers -v 'PSK' lists what OpenSSL offers)`, { layer: TLS_LAYER, field: '--cipher' });
  }
  return out;
}

/** Options shared by the server and the client. */
export function pskTlsBase(o: PskTlsOptions): tls.SecureContextOptions & { minVersion: TlsVersion; maxVersion: TlsVersion; secureOptions: number } {
  const minVersion = o.minVersion ?? 'TLSv1.2';
  const maxVersion = o.maxVersion ?? 'TLSv1.2';
  let secureOptions = 0;
  if (!o.allowTickets) secureOptions |= constants.SSL_OP_NO_TICKET;
  if (!o.allowEncryptThenMac) secureOptions |= constants.SSL_OP_NO_ENCRYPT_THEN_MAC;
  return { ciphers: pskCipherString(o.ciphers), minVersion, maxVersion, secureOptions };
}

/** A key-log sink writing NSS key-log lines (SSLKEYLOGFILE format) to a file, created empty. */
export function keylogFile(path: string): (line: Buffer) => void {
  try {
    writeFileSync(path, '', { mode: 0o600 });
  } catch (e) {
    throw new IoError(`cannot write key log: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: path });
  }
  return (line) => appendFileSync(path, line);
}

const ALERTS: Record<string, string> = {
  ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY: 'the peer does not know this PSK identity (alert unknown_psk_identity)',
  ERR_SSL_PSK_IDENTITY_NOT_FOUND: 'unknown PSK identity (alert unknown_psk_identity sent)',
  ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC: 'the peer could not verify our Finished message (alert bad_record_mac): wrong PSK',
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR: 'the peer could not verify our Finished message (alert decrypt_error): wrong PSK',
  ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC: 'the peer\'s Finished message did not verify (bad record MAC): wrong PSK',
  ERR_SSL_CIPHER_OPERATION_FAILED: 'the peer\'s Finished message did not decrypt (cipher operation failed): wrong PSK',
  ERR_SSL_BAD_RECORD_MAC: 'the peer\'s Finished message did not verify (bad record MAC): wrong PSK',
  ERR_SSL_NO_SHARED_CIPHER: 'no PSK cipher suite in common with the peer',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'the peer refused the handshake (alert handshake_failure: no suite or version in common?)',
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'no TLS version in common with the peer',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'the peer refused our TLS version (alert protocol_version)',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'TLS handshake timed out',
  ECONNRESET: 'connection reset by the peer',
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'the peer closed the connection',
};

/** One line for a TLS/socket error (never a stack). */
export function describeTlsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { reason?: string };
  const known = err?.code ? ALERTS[err.code] : undefined;
  if (known) return known;
  const reason = err?.reason ?? err?.message ?? String(e);
  return `${reason}${err?.code ? ` (${err.code})` : ''}`;
}

export function tlsNetworkError(what: string, e: unknown): NetworkError {
  return new NetworkError(`${what}: ${describeTlsError(e)}`, { layer: TLS_LAYER });
}
