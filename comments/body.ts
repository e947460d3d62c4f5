/** Reading and decoding a submission body: JSON, URL-encoded or multipart form data. */

export type BodyKind = 'json' | 'urlencoded' | 'multipart'

/** The body kind for a Content-Type header, or undefined when the type is not accepted. */
export function bodyKindOf(contentType: string | null): BodyKind | undefined {
  if (!contentType) return undefined
  const [essence = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase())
  if (essence === 'application/json') {
    const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '')
    // JSON is UTF-8 (RFC 8259); a body announced in another charset would be misread.
    return charset === undefined || charset === 'utf-8' || charset === 'utf8' ? 'json' : undefined
  }
  if (essence === 'application/x-www-form-urlencoded') return 'urlencoded'
  if (essence === 'multipart/form-data') return 'multipart'
  return undefined
}

/**
 * Reads the whole body, giving up as soon as more than `maxBytes` arrive. Content-Length is
 * checked by the caller first; this guards against bodies that lie about it or are chunked.
 */
export async function readBodyLimited(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | 'too-large'> {
  const reader = request.body?.getReader()
  if (!reader) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const {done, value} = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      // Not awaited: the answer should not wait on the sender.
      reader.cancel().catch(() => {})
      return 'too-large'
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

export type DecodedBody = {ok: true; value: unknown} | {ok: false; message: string}

/** Turns body bytes into a plain object: JSON as parsed, form fields as a string, a list or a file. */
export async function decodeBody(bytes: Uint8Array<ArrayBuffer>, kind: BodyKind, contentType: string): Promise<DecodedBody> {
  if (kind === 'json') {
    let text: string
    try {
      text = new TextDecoder('utf-8', {fatal: true}).decode(bytes)
    } catch {
      return {ok: false, message: 'The request body is not valid UTF-8.'}
    }
    try {
      return {ok: true, value: JSON.parse(text) as unknown}
    } catch {
      return {ok: false, message: 'The request body is not valid JSON.'}
    }
  }
  let form: FormData
  try {
    // The buffered bytes go back through the platform's own form parser (undici under Node).
    form = await new Response(bytes, {headers: {'content-type': contentType}}).formData()
  } catch {
    return {ok: false, message: 'The request body is not valid form data.'}
  }
  const fields: Record<string, FormDataEntryValue | FormDataEntryValue[]> = {}
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key)
    // A repeated field stays a list so validation can reject it instead of picking one.
    Object.defineProperty(fields, key, {value: values.length === 1 ? values[0] : values, enumerable: true, writable: true, configurable: true})
  }
  return {ok: true, value: fields}
}
