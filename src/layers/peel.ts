/**
 * Layer recognition for `parse` (peel-core.ts) with the SMS-PP layer decoders
 * registered: what every module that peels imports, except those that load
 * the decoders only when an input needs them (api/parse.ts, api/packet.ts).
 */
import * as smsLayers from '../smspp/build.js';
import { registerSmsPeel } from './peel-core.js';

registerSmsPeel(smsLayers);

export * from './peel-core.js';
