import type { IncomingMessage } from 'node:http';
import { flatHeaders, mediaType, queryObject, type BodyResult } from './http';
import { parseMultipart } from './multipart';
import type { ProviderWire, Route, WireRequest } from './providers/common';

/** From an incoming request to what a provider route sees, and back to what the request log keeps. */

export function parseRequest(req: IncomingMessage, path: string, url: URL, body: BodyResult): WireRequest {
  const headers = flatHeaders(req);
  const contentType = mediaType(headers['content-type']);
  const wreq: WireRequest = { method: req.method ?? 'GET', path, query: queryObject(url.searchParams), headers, contentType, json: undefined, jsonInvalid: false };
  if (contentType === 'multipart/form-data') wreq.form = parseMultipart(body.data, headers['content-type'] ?? '');
  else if (body.data.length > 0) {
    try {
      wreq.json = JSON.parse(body.data.toString('utf8'));
    } catch {
      wreq.jsonInvalid = true;
    }
  }
  return wreq;
}

/** The JSON body, or the multipart fields with each file as { filename, size, contentType }. */
export function loggedBody(wreq: WireRequest): unknown {
  if (!wreq.form) return wreq.json;
  const files = Object.entries(wreq.form.files).map(([name, f]) => [name, { filename: f.filename, size: f.data.length, contentType: f.contentType }]);
  return { ...wreq.form.fields, ...Object.fromEntries(files) };
}

/** The route for this method and path (pattern groups URL-decoded), if the provider has one. */
export function findRoute(wire: ProviderWire, method: string, path: string): { route: Route; params: string[] } | undefined {
  for (const route of wire.routes) {
    if (route.method !== method) continue;
    if (typeof route.path === 'string') {
      if (route.path === path) return { route, params: [] };
      continue;
    }
    const m = route.path.exec(path);
    if (!m) continue;
    try {
      return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}
