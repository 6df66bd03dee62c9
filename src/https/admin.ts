/**
 * Admin protocol state of GlobalPlatform Amendment B (no I/O here): the
 * server hands out command scripts per agent and steers the agent with
 * X-Admin-Next-URI; the agent POSTs to the next URI until a 204 without one.
 */
import { InputError } from '../util/errors.js';
import {
  type AdminMessage, type Profile, type ScriptStatus, ADMIN_LAYER, buildAgentPost, buildServerAnswer,
} from './http.js';

/** Scripts to hand out, per agent (X-Admin-From, else PSK identity), each used once. */
export class ScriptQueue {
  private readonly queues = new Map<string, Uint8Array[]>();
  /** `perAgent` keys are agent IDs or PSK identities; `fallback` is copied for every other agent. */
  constructor(perAgent: Map<string, Uint8Array[]> = new Map(), private readonly fallback: Uint8Array[] = []) {
    for (const [k, v] of perAgent) this.queues.set(k, [...v]);
  }
  /** The queue of an agent: by agent ID, then PSK identity, else a fresh copy of the fallback list. */
  private queueOf(agentId: string | undefined, identity: string | undefined): Uint8Array[] {
    for (const k of [agentId, identity]) if (k !== undefined && this.queues.has(k)) return this.queues.get(k)!;
    const key = agentId ?? identity ?? '';
    const q = [...this.fallback];
    this.queues.set(key, q);
    return q;
  }
  /** Next script for this agent, or undefined when its queue is empty. */
  take(agentId: string | undefined, identity: string | undefined): Uint8Array | undefined {
    return this.queueOf(agentId, identity).shift();
  }
  remaining(agentId: string | undefined, identity: string | undefined): number {
    return this.queueOf(agentId, identity).length;
  }
}

export interface ServerDialogueOptions {
  profile?: Profile;
  chunked?: boolean;
  targetedApplication?: string;
}

/** One TLS session on the server side: which step we are at, what the next URI is. */
export class ServerDialogue {
  /** Number of answers sent. */
  step = 0;
  expectedUri?: string;
  private base?: string;
  constructor(private readonly queue: ScriptQueue, readonly identity: string | undefined, private readonly o: ServerDialogueOptions = {}) {}

  /**
   * Answer one POST: 200 + the agent's next script + Next-URI, or 204 when
   * its queue is empty. `notes` says what did not follow the protocol.
   */
  answer(post: AdminMessage): { bytes: Uint8Array; script?: Uint8Array; nextUri?: string; end: boolean; notes: string[] } {
    const notes: string[] = [];
    if (post.http.kind !== 'request') throw new InputError('the admin server only answers requests', { layer: ADMIN_LAYER });
    const uri = post.http.uri;
    if (this.base === undefined) this.base = uri.replace(/\?.*$/, '');
    if (this.expectedUri !== undefined && uri !== this.expectedUri) notes.push(`POST to ${uri}, but X-Admin-Next-URI was ${this.expectedUri}`);
    if (this.step === 0 && post.scriptStatus !== undefined && !post.resume) notes.push('first POST of the session carries X-Admin-Script-Status');
    const script = this.queue.take(post.from, this.identity);
    this.step++;
    if (!script) {
      return { bytes: buildServerAnswer({ close: true }), end: true, notes };
    }
    // Relative path with a step counter, as in every example seen (Amendment B leaves the shape to the server).
    const nextUri = `${this.base}?cmd=${this.step + 1}`;
    this.expectedUri = nextUri;
    return {
      bytes: buildServerAnswer({ script, nextUri, profile: this.o.profile, chunked: this.o.chunked, targetedApplication: this.o.targetedApplication }),
      script, nextUri, end: false, notes,
    };
  }
}

export interface AgentDialogueOptions {
  uri: string;
  host?: string;
  agentId?: string;
  profile?: Profile;
  chunked?: boolean;
  resume?: boolean;
}

/** The admin agent's side: the first POST, then one POST per answered script. */
export class AgentDialogue {
  nextUri: string | undefined;
  posts = 0;
  constructor(private readonly o: AgentDialogueOptions) {
    this.nextUri = o.uri;
  }
  firstPost(): Uint8Array {
    this.posts++;
    return buildAgentPost({ uri: this.o.uri, host: this.o.host, agentId: this.o.agentId, resume: this.o.resume });
  }
  /**
   * After the server's answer: the next POST (with the script's result), or
   * undefined when the session ends (no X-Admin-Next-URI).
   */
  next(answer: AdminMessage, result: { status: ScriptStatus; body?: Uint8Array } | undefined): Uint8Array | undefined {
    if (answer.http.kind !== 'response') throw new InputError('expected a response from the server', { layer: ADMIN_LAYER });
    this.nextUri = answer.nextUri;
    if (this.nextUri === undefined) return undefined;
    this.posts++;
    return buildAgentPost({
      uri: this.nextUri, host: this.o.host, agentId: this.o.agentId, profile: this.o.profile, chunked: this.o.chunked,
      scriptStatus: result?.status, body: result?.status === 'ok' ? result.body : undefined,
    });
  }
}
