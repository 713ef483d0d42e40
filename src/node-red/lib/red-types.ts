/**
 * The few parts of the Node-RED runtime API these nodes use, typed locally (no @types/node-red dependency).
 * Checked against node-red 4.1 and 5.0.
 */
import type { AkoolCallbackSecrets } from '../../providers/akool/webhook';
import type { LipSyncClient, ProviderId, SpeechClient, UrlSafetyOptions } from '../../core';
import type { CallbackHub } from './callbacks';

export type NodeMessage = Record<string, unknown> & { _msgid?: string };
export type SendFn = (msg: NodeMessage | (NodeMessage | null)[]) => void;
export type DoneFn = (err?: Error) => void;

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface ContextStore {
  get(key: string, store: string | undefined, cb: (err: Error | null | undefined, value?: unknown) => void): void;
  set(key: string, value: unknown, store: string | undefined, cb: (err?: Error | null) => void): void;
}

export interface RedNode {
  id: string;
  type: string;
  name?: string;
  z?: string;
  /** The id in the flow for a node inside a subflow instance (whose runtime id is generated). */
  _alias?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', cb: (msg: NodeMessage, send: SendFn, done: DoneFn) => void): void;
  on(event: 'close', cb: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | (NodeMessage | null)[]): void;
  status(status: NodeStatus): void;
  error(err: unknown, msg?: NodeMessage): void;
  warn(text: unknown): void;
  log(text: unknown): void;
  context(): ContextStore;
}

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
}

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    registerType(type: string, ctor: (this: never, def: never) => void, opts?: Record<string, unknown>): void;
    getNode(id: string): unknown;
  };
  util: {
    evaluateNodeProperty(value: string, type: string, node: RedNode, msg: NodeMessage, cb: (err: Error | null, value?: unknown) => void): void;
    generateId(): string;
    setMessageProperty(msg: NodeMessage, property: string, value: unknown, createMissing?: boolean): boolean;
  };
  settings: Record<string, unknown>;
  /** The editor's admin HTTP app and its permission check (absent when httpAdminRoot is false in some versions). */
  httpAdmin?: { get(path: string, ...handlers: AdminHandler[]): void };
  auth?: { needsPermission(permission: string): AdminHandler };
  events: { once(event: string, listener: (...args: unknown[]) => void): void };
  log?: { info(text: unknown): void; warn(text: unknown): void };
  version(): string;
  _(key: string, substitutions?: Record<string, unknown>): string;
}

export type AdminHandler = (
  req: { params: Record<string, string>; query: Record<string, unknown> },
  res: { status(code: number): { json(body: unknown): void }; json(body: unknown): void },
  next: () => void,
) => void;

/** What the account config node offers to the job nodes. */
export interface AccountNode extends RedNode {
  provider: ProviderId;
  /** The one client of this account: one connection pool, one rate limiter for every node using it. */
  getClient(): LipSyncClient;
  /** The account's speech client (Fish Audio accounts; NOT_SUPPORTED for the others). */
  getSpeechClient(): SpeechClient;
  /** Verified provider callbacks of this account (Akool), from the callback nodes to the waits. */
  callbacks?: CallbackHub;
  /** What Akool callbacks are verified and decrypted with: the client id and the API key (= client secret). */
  callbackSecrets?(): AkoolCallbackSecrets;
  /** Where this account's result downloads may connect (see the core's UrlSafetyOptions). */
  downloadSafety?(): UrlSafetyOptions;
}
