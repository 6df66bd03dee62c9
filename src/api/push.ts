/**
 * `build push` as a function: the SCP81 administration session triggering
 * parameters (GlobalPlatform Amendment B, tag 81: connection 84, security 85,
 * retry policy 86, HTTP POST parameters 89) as the secured data of a command
 * packet for the security domain, secured and framed as `build sms` does.
 */
import { InputError } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';
import { intOption, octet } from '../util/options.js';
import { type PushParams, buildPush as encodePush, tcpConnection } from '../https/push.js';
import { loadPsk, type PskEntry } from '../keys/psk.js';
import type { BuildResult, BuildSmsOptions } from './build.js';

type Num = string | number;

/** The push's own options (long option names of `build push` in camelCase). */
export interface PushOptions {
  /** Connection parameters (84): TCP client to HOST:PORT. */
  connect?: string;
  bearer?: string;
  bufferSize?: Num;
  apn?: string;
  /** Raw contents of the connection parameters TLV (84) instead of `connect`. */
  connection?: string;
  pskIdentity?: string;
  pskKvn?: string;
  pskKid?: string;
  retryCounter?: Num;
  retryDelay?: string;
  adminHost?: string;
  agentId?: string;
  adminUri?: string;
  keyset?: string;
}

export type BuildPushOptions = Omit<BuildSmsOptions, 'apdu' | 'data' | 'expanded' | 'keyset'> & PushOptions & { keyset?: BuildSmsOptions['keyset'] };

export function hostPort(s: string, field: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s.trim());
  if (!m) throw new InputError(`"${s}" is not HOST:PORT`, { field });
  return { host: m[1], port: intOption(m[2], field, 0, 65535) };
}

export function pskEntries(o: { keyset?: unknown }): PskEntry[] {
  const path = typeof o.keyset === 'string' ? o.keyset : process.env.UICC_OTA_KEYSET;
  return path ? loadPsk(path) : [];
}

/** The push parameters from the options (every part optional: the SD falls back to its stored values). */
export function pushParams(o: Omit<PushOptions, 'keyset'> & { keyset?: unknown }): PushParams {
  const p: PushParams = {};
  if (o.connection !== undefined) {
    if (o.connect || o.bearer || o.bufferSize || o.apn) throw new InputError('give --connection (raw 84 contents) or --connect/--bearer/--buffer-size/--apn, not both', { field: '--connection' });
    p.connectionRaw = fromHex(o.connection, '--connection');
  } else if (o.connect) {
    const { host, port } = hostPort(o.connect, '--connect');
    p.connection = tcpConnection(host, port, {
      bearer: o.bearer ? fromHex(o.bearer, '--bearer') : Uint8Array.of(3),
      bufferSize: o.bufferSize !== undefined ? intOption(o.bufferSize, '--buffer-size', 0, 65535) : 1500,
      apn: o.apn,
    });
  } else if (o.bearer || o.bufferSize || o.apn) throw new InputError('needs --connect HOST:PORT', { field: o.bearer ? '--bearer' : o.bufferSize ? '--buffer-size' : '--apn' });
  if (o.pskIdentity !== undefined) {
    const entry = pskEntries(o).find((e) => e.identity === o.pskIdentity);
    p.security = {
      identity: Uint8Array.from(Buffer.from(o.pskIdentity, 'utf8')),
      kvn: o.pskKvn !== undefined ? octet(o.pskKvn, '--psk-kvn') : entry?.kvn ?? 0x40,
      kid: o.pskKid !== undefined ? octet(o.pskKid, '--psk-kid') : entry?.kid ?? 0x01,
    };
  } else if (o.pskKvn || o.pskKid) throw new InputError('needs --psk-identity', { field: o.pskKvn ? '--psk-kvn' : '--psk-kid' });
  if (o.retryCounter !== undefined) {
    p.retry = { counter: intOption(o.retryCounter, '--retry-counter', 0, 65535) };
    if (o.retryDelay !== undefined) p.retry.delay = fromHex(o.retryDelay, '--retry-delay');
  } else if (o.retryDelay !== undefined) throw new InputError('needs --retry-counter', { field: '--retry-delay' });
  if (o.adminHost !== undefined || o.agentId !== undefined || o.adminUri !== undefined) {
    p.http = {};
    if (o.adminHost !== undefined) p.http.host = o.adminHost;
    if (o.agentId !== undefined) p.http.agentId = o.agentId;
    if (o.adminUri !== undefined) p.http.uri = o.adminUri;
  }
  return p;
}

/** Refuses the `build sms` options a push replaces (its secured data is the triggering parameters). */
export function checkPushOptions(o: { apdu?: string[]; data?: string; expanded?: boolean; each?: boolean }): void {
  if (o.apdu?.length || o.data !== undefined || o.expanded || o.each) {
    throw new InputError('the secured data of a push is the triggering parameters: drop --apdu/--data/--expanded/--each', { field: o.apdu?.length ? '--apdu' : o.data !== undefined ? '--data' : o.expanded ? '--expanded' : '--each' });
  }
}

/** The `build sms` options of the push: its `81` TLV as raw secured data, TAR of the ISD (000000, TS 101 220 Annex D) unless given. */
export function pushSmsOptions<T extends { tar?: string; apdu?: string[]; data?: string; expanded?: boolean; each?: boolean; keyset?: unknown }>(o: T & Omit<PushOptions, 'keyset'>): T {
  checkPushOptions(o);
  const data = encodePush(pushParams(o));
  return { ...o, tar: o.tar ?? '000000', apdu: [], data: toHex(data), expanded: false };
}

/** `build push --json`: the object it prints, plus the wire units and warnings (as buildSms). */
export async function buildPush(o: BuildPushOptions): Promise<BuildResult> {
  const { buildSms } = await import('./build.js');
  return buildSms(pushSmsOptions(o as BuildSmsOptions & PushOptions));
}
