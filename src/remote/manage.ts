/**
 * Library entry for remote management (TS 102 226): script builders for RFM
 * and RAM, packet planning per bearer, securing, and decoding of the answer.
 *
 *   const script = rfm.read({ path: '3F00/7F20/6F07', family: 'uicc' });
 *   const sizer = makeSizer(smsDialect, header, keys, { kind: 'sms', maxSms: 1 });
 *   const plans = planPackets(script, [], { format: 'compact' }, sizer, bearer);
 *   const packets = buildScriptPackets(smsDialect, header, keys, plans, firstCounter);
 *   // … send packets[i].bytes; then decodeAnswer(por.data, plans[i].steps)
 */
export { rfm, read, update, select, parsePath, selectSteps, type Family, type RfmTarget, type ReadOptions, type UpdateOptions, type RecordMode } from './rfm.js';
export { ram, readCap, readZip, checkAid, LOAD_ORDER, COMPONENT_TAG, type CapFile, type LoadOptions, type InstallOptions } from './gp/index.js';
export * as gp from './gp/index.js';
export { bearerFits, buildScriptPackets, fitBlockSize, makeSizer, planPackets, type Bearer, type PacketPlan, type Sizer } from './packets.js';
export { decodeAnswer, answerTree, type DecodedAnswer, type ScriptAnswer } from './answer.js';
export { decodeFcp, decodeSimResponse, type FileInfo } from './fcp.js';
export { stepsFor, type AnswerKind, type RemoteScript, type ScriptStep } from './script.js';
