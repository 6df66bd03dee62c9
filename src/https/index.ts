/**
 * SCP81 (GlobalPlatform Amendment B, RAM over HTTPS with PSK-TLS) as a library:
 * the push parameters codec, the admin HTTP message codec, the admin protocol
 * state; the sockets are in src/transport/scp81.ts (Scp81Server, Scp81Agent).
 */
export {
  PUSH_LAYER, PUSH_TAG, buildPush, encodeConnection, looksLikePush, parsePush, pushJson, tcpConnection,
  type ConnectionParams, type DecodedPush, type HttpPostParams, type PushParams, type RetryPolicy, type SecurityParams,
} from './push.js';
export {
  ADMIN_LAYER, ADMIN_PROTOCOL, CONTENT_TYPE, HTTP_LAYER, SCRIPT_STATUS, adminMessageJson, adminMessageTree,
  buildAgentPost, buildServerAnswer, checkAdminMessage, encodeHttpMessage, header, parseAdminMessage, parseAdminMessages,
  HttpStreamReader, readHttpMessage, targetedApplication,
  type AdminMessage, type AgentPostInput, type HttpMessage, type HttpRequest, type HttpResponse, type Profile,
  type ScriptStatus, type ServerAnswerInput,
} from './http.js';
export { AgentDialogue, ScriptQueue, ServerDialogue, type AgentDialogueOptions, type ServerDialogueOptions } from './admin.js';
