/**
 * SMS-PP framing layers: UDH, addresses, TPDUs (TS 23.040), ENVELOPE
 * (SMS-PP DOWNLOAD) and proactive SEND SHORT MESSAGE (TS 31.111 / 102 223),
 * concatenation (TS 31.115), GSMTAP/pcap output, trees and JSON.
 */
export * from './udh.js';
export * from './address.js';
export * from './scts.js';
export * from './gsm7.js';
export * from './tpdu.js';
export * from './ctlv.js';
export * from './envelope.js';
export * from './proactive.js';
export * from './concat.js';
export * from './gsmtap.js';
export * from './render.js';
export * from './build.js';
