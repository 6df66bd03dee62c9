/**
 * The version tag of every JSON object the tool prints (JSON v1): `"format": "uicc-ota-<kind>/1"`,
 * first key of the object. The schemas for each kind ship in `schema/<kind>.json`.
 */
export const JSON_VERSION = 1;

export type JsonKind =
  | 'command'
  | 'response'
  | 'spi'
  | 'kic'
  | 'kid'
  | 'tar'
  | 'status'
  | 'list'
  | 'cattp-pdu'
  | 'cattp-build'
  | 'cattp-packets'
  | 'cattp-send'
  | 'cattp-serve'
  | 'capture'
  | 'capture-record'
  | 'card-process'
  | 'vectors-report'
  | 'vectors-record'
  | 'error'
  | 'cattp-pdus'
  | 'scp81-push'
  | 'scp81-messages'
  | 'scp81-event'
  | 'rmgmt-script'
  | 'rmgmt-pors'
  | 'pcsc-readers'
  | 'pcsc-no-por'
  | 'smpp-submit';

export function formatTag(kind: JsonKind): string {
  return `uicc-ota-${kind}/${JSON_VERSION}`;
}

/** `obj` with `format` as its first key (replacing any `format` it had). */
export function tagged<T extends object>(kind: JsonKind, obj: T): { format: string } & T {
  const { format: _drop, ...rest } = obj as T & { format?: unknown };
  return { format: formatTag(kind), ...(rest as T) };
}
