import {createReadStream, existsSync, statSync} from 'node:fs'
import {extname, join, normalize, resolve, sep} from 'node:path'

import {LakeError, type LakeRequest, type LakeResponse} from '../lake'
import {decodePathSegment, parseRequestUrl} from '../lake/http'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

/**
 * Serves a built Studio (`sanity build` output). Hashed files under `static/` are cached for
 * good; any other path that is not a file gets `index.html`, since the Studio routes in the browser.
 * A malformed path is a `LakeError` 400 and any method but GET or HEAD a 405, for the caller to answer.
 */
export function createStaticHandler(studioDir: string): (req: LakeRequest & {readonly url?: string | undefined}, res: LakeResponse) => void {
  const root = resolve(studioDir)
  const index = join(root, 'index.html')
  return (req, res) => {
    const method = req.method ?? 'GET'
    if (method !== 'GET' && method !== 'HEAD') throw new LakeError(405, 'methodNotAllowed', `${method} is not allowed on Studio pages; use GET`)
    const pathname = decodePathSegment(parseRequestUrl(req.url).pathname, 'path')
    if (!existsSync(index)) {
      res.statusCode = 503
      res.setHeader('content-type', 'text/plain; charset=utf-8')
      res.end(`The Studio is not built yet (no ${index}). Run "npm run build" and reload.\n`)
      return
    }
    const candidate = normalize(join(root, pathname))
    const inside = candidate === root || candidate.startsWith(root + sep)
    const isFile = inside && existsSync(candidate) && statSync(candidate).isFile()
    const file = isFile ? candidate : index
    res.statusCode = 200
    res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream')
    res.setHeader('content-length', statSync(file).size)
    res.setHeader('x-content-type-options', 'nosniff')
    res.setHeader('cache-control', isFile && pathname.startsWith('/static/') ? 'public, max-age=31536000, immutable' : 'no-cache')
    if (method === 'HEAD') {
      res.end()
      return
    }
    const stream = createReadStream(file)
    stream.on('data', (chunk) => {
      if (!res.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
        stream.pause()
        res.once('drain', () => stream.resume())
      }
    })
    stream.on('end', () => res.end())
    stream.on('error', () => res.end())
    res.on('close', () => stream.destroy())
  }
}
