/** SMPP 3.4 transport: ESME client (`sendSmpp`), SMSC emulator (`SmscServer`), the card behind it (`CardSide`, `SimulatedUicc`). */
export { loadSmpp, statusName, statusText, type SmppPdu } from './lib.js';
export { SmppConnection, type PduLog, type Malformed } from './session.js';
export { pduTree } from './tree.js';
export { deliverFromSubmit, deliverSmFields, deliverSmFromSubmitTpdu, smsAddressOf, userDataOf, type SmppAddress } from './mapping.js';
export { sendSmpp, EsmeSession, type EsmeSessionOptions, clearPorIdentity, type SendSmppOptions, type SendSmppResult, type SmppMessage, type PorIdentity, type SubmittedMessage, type EsmeBind } from './esme.js';
export { SmscServer, type SmscOptions, type SmscMessage, type BindMode } from './smsc.js';
export { SimulatedUicc, type CardSide, type CardAnswer, type ProcessFn } from './card-side.js';
