/**
 * uicc-ota as a library: `import { buildSms, parsePor, Card } from 'uicc-ota'`.
 * Names mirror the commands; options are the commands' long option names in
 * camelCase; results are the objects the commands print with --json. The
 * library never writes to stdout/stderr: notes come back in `notes`.
 */
export { spi, kic, kid, tar, status } from './codes.js';
export type { SpiJson, SpiEncodeOptions, KeyIdJson } from './codes.js';
export { OtaError, InputError, VerifyError, StateError, IoError, NetworkError, EXIT } from '../util/errors.js';
export type { ErrorWhere, ExitCode } from '../util/errors.js';
