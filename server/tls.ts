import {X509Certificate} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {generate} from 'selfsigned'

export interface TlsFiles {
  key: string
  cert: string
  /** Where the certificate is kept (to trust it in a browser or an OS keychain). */
  certFile: string
  /** True when this call made a new certificate. */
  generated: boolean
}

/** Names the certificate must cover: the Studio's project host and the API host. */
export function certificateHosts(projectId: string): string[] {
  return ['localhost', `${projectId}.localhost`, '*.localhost']
}

const VALID_DAYS = 825 // The longest validity browsers accept for a server certificate.
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000

/**
 * A self-signed certificate for the loopback names, made on first start and kept in
 * `<dir>/tls/` (the folder 0700, both files 0600, also when an older start left them
 * readable to others). It is made again when it expires soon or does not cover a needed
 * name (e.g. another project id).
 */
export async function loadOrCreateCertificate(dir: string, hosts: readonly string[]): Promise<TlsFiles> {
  const tlsDir = join(dir, 'tls')
  const keyFile = join(tlsDir, 'key.pem')
  const certFile = join(tlsDir, 'cert.pem')
  mkdirSync(tlsDir, {recursive: true, mode: 0o700})
  // mkdir's mode is subject to umask and leaves an existing folder as it was.
  chmodSync(tlsDir, 0o700)
  for (const file of [keyFile, certFile]) if (existsSync(file)) chmodSync(file, 0o600)
  if (existsSync(keyFile) && existsSync(certFile)) {
    const key = readFileSync(keyFile, 'utf8')
    const cert = readFileSync(certFile, 'utf8')
    if (isUsable(cert, hosts)) return {key, cert, certFile, generated: false}
  }
  const notBeforeDate = new Date(Date.now() - 60_000)
  const pems = await generate([{name: 'commonName', value: 'localhost'}, {name: 'organizationName', value: 'Local Content Lake'}], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + VALID_DAYS * 24 * 3600 * 1000),
    extensions: [
      {name: 'basicConstraints', cA: false},
      {name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true},
      {name: 'extKeyUsage', serverAuth: true},
      {
        name: 'subjectAltName',
        altNames: [...hosts.map((value) => ({type: 2 as const, value})), {type: 7, ip: '127.0.0.1'}, {type: 7, ip: '::1'}],
      },
    ],
  })
  for (const [file, pem] of [
    [keyFile, pems.private],
    [certFile, pems.cert],
  ] as const) {
    writeFileSync(file, pem, {mode: 0o600})
    chmodSync(file, 0o600)
  }
  return {key: pems.private, cert: pems.cert, certFile, generated: true}
}

function isUsable(pem: string, hosts: readonly string[]): boolean {
  try {
    const cert = new X509Certificate(pem)
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false
    const altNames = cert.subjectAltName ?? ''
    return hosts.every((host) => altNames.includes(`DNS:${host}`))
  } catch {
    return false
  }
}
