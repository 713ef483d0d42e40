import { ERROR_CODES, LipSyncError, PROVIDER_IDS, adapters, createLipSyncClient, createSpeechClient, isSpeechProvider, providerName, type LipSyncClient, type ProviderId, type S3StorageConfig, type SpeechClient } from '../index';
import { CallbackHub } from './lib/callbacks';
import { exampleEnvDefaults } from './lib/example-env';
import type { AccountNode, NodeAPI, NodeDef } from './lib/red-types';

interface AccountDef extends NodeDef {
  provider: ProviderId;
  baseUrl?: string;
  /** S3-compatible storage for media given as bytes (providers without their own upload). */
  storage?: boolean;
  s3Endpoint?: string;
  s3Bucket?: string;
  s3Region?: string;
  s3Prefix?: string;
  /** Lifetime of the presigned URL handed to the provider, in hours. */
  s3UrlHours?: string | number;
  s3VirtualHosted?: boolean;
  /** Downloads may reach loopback/private addresses (otherwise only the base URL's host among them). */
  allowPrivateNetworks?: boolean;
}

/** Presigned URLs live this long unless set: long enough for a job to wait in a provider's queue. */
const DEFAULT_URL_HOURS = 24;

/** The account's storage settings for the core, or undefined when storage is off. The core validates each field. */
function storageConfig(def: AccountDef, credentials: Record<string, string | undefined> | undefined): S3StorageConfig | undefined {
  if (!def.storage) return undefined;
  const hours = Number(def.s3UrlHours);
  return {
    endpoint: (def.s3Endpoint ?? '').trim(),
    bucket: (def.s3Bucket ?? '').trim(),
    region: (def.s3Region ?? '').trim() || undefined,
    prefix: def.s3Prefix || undefined,
    accessKeyId: credentials?.s3AccessKeyId ?? '',
    secretAccessKey: credentials?.s3SecretAccessKey ?? '',
    virtualHostedStyle: Boolean(def.s3VirtualHosted),
    urlExpiresInSeconds: Math.round((def.s3UrlHours === '' || !Number.isFinite(hours) || hours <= 0 ? DEFAULT_URL_HOURS : hours) * 3600),
  };
}

const CLOSE_WAIT_MS = 3_000;

/** Config node: one provider account. Its API key is a Node-RED credential, so it never leaves with a flow export. */
export = function register(RED: NodeAPI): void {
  exampleEnvDefaults(RED);
  function LipsyncAccount(this: AccountNode, def: AccountDef) {
    RED.nodes.createNode(this, def);
    this.name = def.name;
    this.provider = def.provider;
    const baseUrl = (def.baseUrl ?? '').trim() || undefined;
    let client: LipSyncClient | undefined;
    let speech: SpeechClient | undefined;

    // Created on first use, then shared by every node on this account: one connection pool, one rate limiter.
    // Invalid settings (empty key, bad base URL) throw here, into the job node's error path, naming the field.
    this.getClient = () => {
      client ??= createLipSyncClient({
        provider: this.provider,
        apiKey: this.credentials?.apiKey ?? '',
        baseUrl,
        storage: storageConfig(def, this.credentials),
        allowPrivateNetworks: Boolean(def.allowPrivateNetworks),
        userAgent: `lipsync-kit node-red/${typeof RED.version === 'function' ? RED.version() : ''}`,
      });
      return client;
    };

    // Where result downloads may connect: public addresses, the base URL's own host, or anything when allowed.
    const trustedBase = baseUrl ?? adapters[this.provider]?.defaultBaseUrl;
    this.downloadSafety = () => ({ allowPrivateNetworks: Boolean(def.allowPrivateNetworks), trustedOrigins: trustedBase ? [trustedBase] : [] });

    // Speech and voices (Fish Audio accounts): the same key and host, a client of its own on the shared limiters.
    this.getSpeechClient = () => {
      if (!isSpeechProvider(this.provider)) {
        throw new LipSyncError(ERROR_CODES.NOT_SUPPORTED, `${providerName(this.provider)} has no speech API here: use a Fish Audio account, or bring audio from any TTS node`, { provider: this.provider, field: 'account' });
      }
      speech ??= createSpeechClient({
        provider: this.provider,
        apiKey: this.credentials?.apiKey ?? '',
        baseUrl,
        allowPrivateNetworks: Boolean(def.allowPrivateNetworks),
        userAgent: `lipsync-kit node-red/${typeof RED.version === 'function' ? RED.version() : ''}`,
      });
      return speech;
    };

    // Akool callbacks: the callback nodes verify with these and hand the jobs to the waits on this account.
    this.callbacks = new CallbackHub();
    this.callbackSecrets = () => ({ clientId: (this.credentials?.clientId ?? '').trim(), clientSecret: this.credentials?.apiKey ?? '' });

    this.on('close', (_removed, done) => {
      const closingSpeech = speech?.close();
      const closing = client || speech ? Promise.all([client?.close(), closingSpeech]) : undefined;
      client = undefined;
      speech = undefined;
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
    credentials: { apiKey: { type: 'password' }, clientId: { type: 'text' }, s3AccessKeyId: { type: 'text' }, s3SecretAccessKey: { type: 'password' } },
    settings: {
      // Read by the editors: provider names and documented hosts come from the core, not from the HTML.
      lipsyncAccountProviders: {
        value: PROVIDER_IDS.map((id) => ({ id, name: providerName(id), defaultBaseUrl: adapters[id].defaultBaseUrl })),
        exportable: true,
      },
    },
  });
};
