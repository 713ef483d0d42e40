import { PROVIDER_IDS, adapters, createLipSyncClient, providerName, type LipSyncClient, type ProviderId } from '../index';
import { CallbackHub } from './lib/callbacks';
import type { AccountNode, NodeAPI, NodeDef } from './lib/red-types';

interface AccountDef extends NodeDef {
  provider: ProviderId;
  baseUrl?: string;
}

const CLOSE_WAIT_MS = 3_000;

/** Config node: one provider account. Its API key is a Node-RED credential, so it never leaves with a flow export. */
export = function register(RED: NodeAPI): void {
  function LipsyncAccount(this: AccountNode, def: AccountDef) {
    RED.nodes.createNode(this, def);
    this.name = def.name;
    this.provider = def.provider;
    const baseUrl = (def.baseUrl ?? '').trim() || undefined;
    let client: LipSyncClient | undefined;

    // Created on first use, then shared by every node on this account: one connection pool, one rate limiter.
    // Invalid settings (empty key, bad base URL) throw here, into the job node's error path, naming the field.
    this.getClient = () => {
      client ??= createLipSyncClient({
        provider: this.provider,
        apiKey: this.credentials?.apiKey ?? '',
        baseUrl,
        userAgent: `lipsync-kit node-red/${typeof RED.version === 'function' ? RED.version() : ''}`,
      });
      return client;
    };

    // Akool callbacks: the callback nodes verify with these and hand the jobs to the waits on this account.
    this.callbacks = new CallbackHub();
    this.callbackSecrets = () => ({ clientId: (this.credentials?.clientId ?? '').trim(), clientSecret: this.credentials?.apiKey ?? '' });

    this.on('close', (_removed, done) => {
      const closing = client?.close();
      client = undefined;
      if (!closing) return done();
      // Job nodes abort their requests in their own close handlers; do not hold a redeploy on a slow socket.
      let timer: NodeJS.Timeout | undefined;
      Promise.race([closing.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))]).then(() => {
        clearTimeout(timer);
        done();
      });
    });
  }

  RED.nodes.registerType('lipsync-account', LipsyncAccount, {
    credentials: { apiKey: { type: 'password' }, clientId: { type: 'text' } },
    settings: {
      // Read by the editors: provider names and documented hosts come from the core, not from the HTML.
      lipsyncAccountProviders: {
        value: PROVIDER_IDS.map((id) => ({ id, name: providerName(id), defaultBaseUrl: adapters[id].defaultBaseUrl })),
        exportable: true,
      },
    },
  });
};
