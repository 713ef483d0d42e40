import { bytesResponse, json, mediaType, type WireResponse } from './http';
import { COVER_JPEG, type AssetStore, type Samples } from './media';
import type { SpeechStore } from './speech';
import { viewJob, type JobStore } from './state';
import { SANDBOX_PROVIDERS, type ProviderId } from './types';

/**
 * The sandbox's own storage, outside the provider prefixes:
 *   GET /media/sample.mp4, /media/sample.wav            sample media
 *   GET /results/<provider>/<jobId>.mp4 | .jpg          result video and cover of a completed job
 *   PUT /storage/joggai/<assetId>                       JoggAI signed upload URL
 *   GET /assets/joggai/<assetId>/<filename>             the uploaded bytes
 *   GET /speech/<audioId>.wav                           audio made by a Fish Audio TTS request
 */

export const UPLOAD_LIMIT = 100 * 1024 * 1024;

interface File {
  data: Buffer;
  contentType: string;
  /** Bytes served: `data`, then zeros up to this size (generated while sent). Default: data.length. */
  size?: number;
}

/** Smallest padding: the header of a 64-bit MP4 box. */
const BOX_HEADER = 16;

export class FileRoutes {
  /** The result video: the sample as it is, or (resultBytes) the sample and the header of a `free` box that fills the rest. */
  private readonly result: File;

  constructor(
    private readonly samples: Samples,
    private readonly jobs: JobStore,
    private readonly assets: AssetStore,
    resultBytes?: number,
    private readonly speech?: SpeechStore,
  ) {
    const pad = (resultBytes ?? 0) - samples.mp4.length;
    if (pad < BOX_HEADER) this.result = { data: samples.mp4, contentType: 'video/mp4' };
    else {
      // size 1 = "64-bit size follows"; the box's zeros are produced on the fly, so players still read a valid MP4.
      const header = Buffer.alloc(BOX_HEADER);
      header.writeUInt32BE(1, 0);
      header.write('free', 4, 'latin1');
      header.writeBigUInt64BE(BigInt(pad), 8);
      this.result = { data: Buffer.concat([samples.mp4, header]), contentType: 'video/mp4', size: samples.mp4.length + pad };
    }
  }

  /** The file a GET of this path serves, if any (also how the media check sees this sandbox's own URLs). */
  lookup(pathname: string, now = Date.now()): File | undefined {
    const sample = /^\/media\/sample\.(mp4|wav)$/.exec(pathname);
    if (sample) return sample[1] === 'mp4' ? { data: this.samples.mp4, contentType: 'video/mp4' } : { data: this.samples.wav, contentType: 'audio/wav' };
    const result = /^\/results\/([^/]+)\/([^/]+)\.(mp4|jpg)$/.exec(pathname);
    if (result) {
      const provider = result[1] as ProviderId;
      const job = SANDBOX_PROVIDERS.includes(provider) ? this.jobs.get(provider, decode(result[2]!)) : undefined;
      if (!job || viewJob(job, now).status !== 'completed') return undefined;
      return result[3] === 'mp4' ? this.result : { data: COVER_JPEG, contentType: 'image/jpeg' };
    }
    const speech = /^\/speech\/([0-9a-f]+)\.wav$/.exec(pathname);
    if (speech) {
      const audio = this.speech?.audioFile(speech[1]!);
      return audio ? { data: audio, contentType: 'audio/wav' } : undefined;
    }
    const asset = /^\/assets\/joggai\/([^/]+)\/[^/]+$/.exec(pathname);
    const stored = asset ? this.assets.get(asset[1]!) : undefined;
    return stored?.data ? { data: stored.data, contentType: stored.contentType } : undefined;
  }

  /** The answer for a path outside the provider prefixes; undefined when no file route matches. */
  handle(method: string, pathname: string, headers: Record<string, string>, body: Buffer, tooLarge: boolean): WireResponse | undefined {
    if (method === 'PUT') {
      const upload = /^\/storage\/joggai\/([^/]+)$/.exec(pathname);
      return upload ? this.put(upload[1]!, headers, body, tooLarge) : undefined;
    }
    if (method !== 'GET' && method !== 'HEAD') return undefined;
    if (!/^\/(media|results|assets|speech)\//.test(pathname)) return undefined;
    const file = this.lookup(pathname);
    return file ? bytesResponse(headers.range, file.data, file.contentType, file.size) : json(404, { error: 'not found' });
  }

  /** Like a presigned PUT: the Content-Type must be the one announced when the URL was made. */
  private put(id: string, headers: Record<string, string>, body: Buffer, tooLarge: boolean): WireResponse {
    const asset = this.assets.get(id);
    if (!asset) return json(404, { error: 'NoSuchUpload', message: 'This upload URL is unknown or has expired' });
    if (tooLarge) return json(413, { error: 'EntityTooLarge', message: `Uploads are limited to ${UPLOAD_LIMIT} bytes` });
    if (mediaType(headers['content-type']) !== mediaType(asset.contentType)) {
      return json(403, { error: 'SignatureDoesNotMatch', message: `Content-Type must be ${asset.contentType}, as announced to /v2/upload/asset` });
    }
    asset.data = Buffer.from(body);
    return { status: 200, raw: Buffer.alloc(0), headers: { etag: `"${asset.id}"` } };
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
