/** A minimal multipart/form-data parser: enough for the Chamelaion upload endpoint. */

export interface MultipartFile {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface MultipartForm {
  fields: Record<string, string>;
  files: Record<string, MultipartFile>;
  /** Every file part in order, with its field name (a field may carry several files). */
  fileList: Array<MultipartFile & { name: string }>;
}

/** Returns undefined when the body is not well-formed multipart for that Content-Type. */
export function parseMultipart(body: Buffer, contentType: string): MultipartForm | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const marker = boundary ? `--${(boundary[1] ?? boundary[2]!).trim()}` : undefined;
  if (!marker) return undefined;
  const form: MultipartForm = { fields: {}, files: {}, fileList: [] };
  const delimiter = Buffer.from(`\r\n${marker}`);
  // Prefixing CRLF lets the first boundary be found like the others.
  const data = Buffer.concat([Buffer.from('\r\n'), body]);
  let at = data.indexOf(delimiter);
  if (at < 0) return undefined;
  for (;;) {
    const partStart = at + delimiter.length;
    if (data.subarray(partStart, partStart + 2).toString() === '--') return form;
    const next = data.indexOf(delimiter, partStart);
    if (next < 0) return undefined;
    const part = data.subarray(partStart + 2, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) return undefined;
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const content = part.subarray(headerEnd + 4);
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (name !== undefined) {
      if (filename !== undefined) {
        const type = /content-type:\s*([^\r\n]*)/i.exec(headers)?.[1]?.trim() || 'application/octet-stream';
        form.files[name] = { filename, contentType: type, data: Buffer.from(content) };
        form.fileList.push({ name, ...form.files[name]! });
      } else form.fields[name] = content.toString('utf8');
    }
    at = next;
  }
}
