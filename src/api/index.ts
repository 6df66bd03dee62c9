/**
 * uicc-ota as a library: `import { buildSms, parsePor, Card } from 'uicc-ota'`.
 * Names mirror the commands; options are the commands' long option names in
 * camelCase; results are the objects the commands print with --json (plus
 * `units`, the wire octets, and `warnings`, what the command says on stderr).
 * The library never writes to stdout/stderr. Errors are the typed classes
 * below, each with `exitCode`, `layer`, `field` and `offset`.
 */
export { spi, kic, kid, tar, status } from './codes.js';
export type { SpiJson, SpiEncodeOptions, KeyIdJson } from './codes.js';
export { buildSms, buildPor, buildCattp } from './build.js';
export type { BuildSmsOptions, BuildPorOptions, BuildCattpOptions, BuildResult, SecurityOptions, SmsDeliverOptions } from './build.js';
export { buildPush } from './push.js';
export { buildCattpPdu } from './cattp-pdu.js';
export type { CattpPduOptions, CattpPduResult } from './cattp-pdu.js';
export type { BuildPushOptions, PushOptions } from './push.js';
export { parse, parseSms, parsePor } from './parse.js';
export type { PacketInput, ParseOptions, ParseResult } from './parse.js';
export type { KeyOptions, KeysetJson } from './keys.js';
export { Card } from './card.js';
export type { CardOptions, CardResult } from './card.js';
export { cardInit } from '../card/init.js';
export type { CardInitOptions, CardInitResult } from '../card/init.js';
export { cardVpcd, CardVpcdSession } from './card-vpcd.js';
export type { CardVpcdOptions } from './card-vpcd.js';
export { counter, counterShow, counterSet, counterNext } from './counter.js';
export type { CounterOptions, CounterShowResult, CounterSetResult, CounterNextResult } from './counter.js';
export { readCapture, captureReport, captureChunks, type FollowOptions } from './capture.js';
export { buildSmsBatch, parseBatch, streamSmsBatch, streamParseBatch } from './batch.js';
export type { SmsBatchOptions, ParseBatchOptions, BatchItem, SmsBatchResult, ParseBatchResult, StreamOptions, BatchSummary, LineError } from './batch.js';
export { verifyVectors } from './vectors.js';
export type { VectorsReport } from '../vectors/record.js';
export { CattpServer, CattpClient } from './session.js';
export type { CattpServerOptions, CattpClientOptions, Addr, PduLogEntry, ServeSummary, SduInfo, SendResult } from './session.js';
export { cattpServe, cattpSend, CattpServeSession, CattpSendSession } from './cattp-run.js';
export type { CattpSessionOptions, CattpServeOptions, CattpSendOptions, CattpServeSummary, CattpSendResult, ServedSession, SendExchange, ReceivedSdu, PorOutcome } from './cattp-run.js';
export type { PacketView } from './parse-cattp.js';
export { OtaError, InputError, VerifyError, StateError, IoError, NetworkError, EXIT } from '../util/errors.js';
export type { ErrorWhere, ExitCode } from '../util/errors.js';
export { DEFAULT_TARS } from './rmgmt.js';
export { rfm, ram } from './rmgmt-run.js';
export type { RmgmtOptions, RfmOperation, RamOperation } from './rmgmt.js';
export type { RmgmtResult, RmgmtHooks } from './rmgmt-run.js';
export { Smsc, smscServe } from './smsc.js';
export type { SmscOptions, SmscPdu, SmscMessage } from './smsc.js';
export { parsePush, parseScp81, Scp81Server, scp81Serve, Scp81Agent, scp81Agent } from './scp81.js';
export type { Scp81ParseOptions, Scp81TlsOptions, Scp81ServeOptions, Scp81ServeSummary, Scp81AgentOptions, Scp81AgentResult, Scp81Message, Scp81Responses, Scp81Script } from './scp81.js';
export { recordVectors } from './vectors.js';
export type { RecordVectorsOptions, VectorsRecordResult } from './vectors.js';
export { sendPcsc, streamSendPcsc, pcscReaders } from './send-pcsc.js';
export type { SendPcscOptions, SendPcscResult, SendPcscEachOptions, PcscReadersResult, ApduExchange } from './send-pcsc.js';
export { sendSmpp, sendSmppEach, streamSendSmpp } from './send-smpp.js';
export type { SendSmppOptions, SendSmppResult, SmppSubmitted, SmppEachLine, SmppEachResult, SmppPduLog, SmppStreamSummary } from './send-smpp.js';
