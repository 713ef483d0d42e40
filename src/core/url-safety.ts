import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { buildConnector } from 'undici';
import { CONTROL_CHARS, ERROR_CODES, LipSyncError } from './errors';

/**
 * Where a download (a provider's result URL, or a redirect from it) may connect. A provider, or whoever controls
 * its result URL, must not make this process read internal services, so addresses that are not public are refused
 * unless the user allows them. The check runs on the resolved address of every connection, so a redirect and a
 * DNS name that resolves to 127.0.0.1 are caught too, and the connection goes to the address that was checked.
 *
 * The address ranges come from Node's own `net.BlockList` (it also matches IPv4-mapped IPv6 forms such as
 * `::ffff:127.0.0.1` against the IPv4 ranges), so no address parsing is written here.
 */
export interface UrlSafetyOptions {
  /** Allow loopback, private, link-local, unique-local and other non-public addresses (self-hosted setups). */
  allowPrivateNetworks?: boolean;
  /**
   * URLs (or `host:port`) that are trusted whatever their address: the configured provider base URL, so the
   * sandbox and self-hosted gateways keep working. Only that exact host and port.
   */
  trustedOrigins?: readonly string[];
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['64:ff9b::', 96], // NAT64: reaches IPv4 addresses through a gateway
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10],
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** True for an IP address that is not a public unicast address (loopback, private, link-local, …). */
export function isNonPublicAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '');
  const family = isIP(ip);
  if (family === 0) return true;
  return blocked.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

function originKey(hostname: string, port: string | number | undefined, protocol = 'http:'): string {
  return `${hostname.replace(/^\[|\]$/g, '').toLowerCase()}:${port || DEFAULT_PORT[protocol] || ''}`;
}

function trusted(options: UrlSafetyOptions): Set<string> {
  const out = new Set<string>();
  for (const origin of options.trustedOrigins ?? []) {
    try {
      const u = new URL(/^[a-z]+:\/\//i.test(origin) ? origin : `http://${origin}`);
      out.add(originKey(u.hostname, u.port, u.protocol));
    } catch {
      // Not a URL: trusts nothing.
    }
  }
  return out;
}

const MAX_URL_LENGTH = 4_096;

/** An http(s) URL as `new URL` reads it: a host, no whitespace or control characters, at most 4,096 characters. */
/** What is wrong with an http(s) URL given as text, or undefined when it is usable. */
export function httpUrlProblem(value: string, field: string): string | undefined {
  if (value.length > MAX_URL_LENGTH) return `${field} is ${value.length} characters long; at most ${MAX_URL_LENGTH} are allowed`;
  if (CONTROL_CHARS.test(value) || /\s/.test(value)) return `${field} contains spaces or control characters: give the URL exactly, with spaces encoded as %20`;
  // The URL parser turns http:///etc/passwd into host "etc": the text itself must name a host.
  if (/^https?:/i.test(value) && !/^https?:\/\/[^/?#\\@]/i.test(value)) return `${field} has no host name after the //`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${field} must be an http(s) URL; this one cannot be read as a URL (check for typos and unencoded characters)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${field} must be an http(s) URL, not ${url.protocol.replace(':', '')}`;
  if (!url.hostname) return `${field} has no host name`;
  if (url.username || url.password) return `${field} must not carry a user name or password`;
  return undefined;
}

/** Parses a download URL the same way (http(s), a host, no control characters); a LipSyncError naming `field` otherwise. */
export function parseDownloadUrl(url: unknown, field = 'resultUrl', jobId?: string): URL {
  const text = typeof url === 'string' ? url.trim() : '';
  const problem = text ? httpUrlProblem(text, field) : `${field} is empty`;
  if (problem) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `The ${problem}`, { field, jobId });
  return new URL(text);
}

function refused(host: string, address: string, jobId?: string): LipSyncError {
  return new LipSyncError(
    ERROR_CODES.INVALID_INPUT,
    `Refused to download from ${host}: it resolves to ${address}, a private, loopback or otherwise non-public address. If this is your own network, allow private networks in the settings`,
    { field: 'resultUrl', jobId },
  );
}

/**
 * Checks one URL before it is fetched by code that cannot check every hop itself (n8n's request helpers, where
 * the instance's own SSRF settings then apply to redirects): resolves the host and refuses non-public addresses.
 */
export async function checkUrlSafety(url: string, options: UrlSafetyOptions = {}, jobId?: string): Promise<URL> {
  const parsed = parseDownloadUrl(url, 'resultUrl', jobId);
  if (options.allowPrivateNetworks || trusted(options).has(originKey(parsed.hostname, parsed.port, parsed.protocol))) return parsed;
  const address = await firstNonPublic(parsed.hostname);
  if (address) throw refused(parsed.host, address, jobId);
  return parsed;
}

/** The first non-public address among a host's addresses (or the literal), undefined when all are public. */
async function firstNonPublic(hostname: string): Promise<string | undefined> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isNonPublicAddress(host) ? host : undefined;
  const all = await lookup(host, { all: true, verbatim: true });
  return all.find((a) => isNonPublicAddress(a.address))?.address;
}

/**
 * An undici `connect` function that checks the address of every connection it opens (every redirect hop, every
 * DNS answer) and connects to the checked address, so a name cannot resolve differently between check and use.
 */
export function safeConnector(options: UrlSafetyOptions & { timeoutMs?: number; jobId?: string } = {}): buildConnector.connector {
  const base = buildConnector({ timeout: options.timeoutMs ?? 10_000 });
  const allowed = trusted(options);
  return (opts, callback) => {
    const host = opts.hostname.replace(/^\[|\]$/g, '');
    if (options.allowPrivateNetworks || allowed.has(originKey(host, opts.port, opts.protocol))) return base(opts, callback);
    const pick = isIP(host) ? Promise.resolve([{ address: host }]) : lookup(host, { all: true, verbatim: true });
    pick.then(
      (addresses) => {
        const bad = addresses.find((a) => isNonPublicAddress(a.address));
        if (bad || addresses.length === 0) return callback(refused(opts.port ? `${opts.hostname}:${opts.port}` : opts.hostname, bad?.address ?? 'nothing', options.jobId), null);
        base({ ...opts, hostname: addresses[0]!.address, servername: opts.servername || (isIP(host) ? undefined : host) }, callback);
      },
      (error: Error) => callback(error, null),
    );
  };
}
