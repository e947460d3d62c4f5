/**
 * `npm run chaos`: a bounded chaos run against the app server on loopback. Writers with
 * `ifRevisionID`, readers of a trivial query, 200 listeners, slow queries and malformed requests
 * run together; mid-way the server process is killed with SIGKILL and started again on the same
 * data. Prints requests served, 5xx inside and outside the kill window, acknowledged writes and
 * how many were found after the restart, partial transactions, and the trivial query's latency
 * outside the kill window. Exits 1 when a target is missed.
 *
 *   npm run chaos -- [--duration 30] [--writers 6] [--readers 4] [--listeners 200] [--slow 1]
 *                    [--slow-docs 1500] [--malformed 2] [--kill-at 0.5] [--keep] [--dry-run]
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {Agent, request as httpRequest} from 'node:http'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

export interface ChaosOptions {
  durationSeconds: number
  writers: number
  readers: number
  listeners: number
  slowQueries: number
  slowDocs: number
  malformed: number
  /** When the kill happens, as a fraction of the duration. */
  killAt: number
  keep: boolean
  dryRun: boolean
}

const DEFAULTS: ChaosOptions = {durationSeconds: 30, writers: 6, readers: 4, listeners: 200, slowQueries: 1, slowDocs: 1500, malformed: 2, killAt: 0.5, keep: false, dryRun: false}

const HELP = `Usage: npm run chaos -- [options]

Runs writers (with ifRevisionID), readers, listeners, slow queries and malformed requests against
the app server on 127.0.0.1, kills the server with SIGKILL mid-way and restarts it on the same data,
then prints what was served and what survived. Bounded in time and count; loopback only.

Options:
  --duration <s>     Length of the run in seconds (default ${DEFAULTS.durationSeconds}, at most 300)
  --writers <n>      Concurrent writers (default ${DEFAULTS.writers})
  --readers <n>      Concurrent readers of the trivial query (default ${DEFAULTS.readers})
  --listeners <n>    Open listener streams (default ${DEFAULTS.listeners})
  --slow <n>         Concurrent slow queries (default ${DEFAULTS.slowQueries})
  --slow-docs <n>    Documents the slow query runs over (default ${DEFAULTS.slowDocs})
  --malformed <n>    Concurrent senders of malformed requests (default ${DEFAULTS.malformed})
  --kill-at <f>      When to SIGKILL the server, as a fraction of the run (default ${DEFAULTS.killAt})
  --keep             Keep the data folder afterwards (its path is printed)
  --dry-run          Print what would run and exit
  --help             Show this help`

const ROOT = resolve(import.meta.dirname, '..')
const HOST = '127.0.0.1'
const API = '/v2025-02-19'
const DATASET = 'production'
const TRIVIAL = '*[_id == "chaos-counter-0"][0]._id'
const SLOW = '*[_type == "chaosBulk"]{"n": count(*[_type == "chaosBulk" && n > ^.n])}'
const REQUEST_TIMEOUT_MS = 10_000
const TARGET_P95_MS = 100

export function parseChaosArgs(argv: readonly string[]): ChaosOptions | {help: true} | {error: string} {
  try {
    const {values} = parseArgs({
      args: [...argv],
      options: {
        duration: {type: 'string'},
        writers: {type: 'string'},
        readers: {type: 'string'},
        listeners: {type: 'string'},
        slow: {type: 'string'},
        'slow-docs': {type: 'string'},
        malformed: {type: 'string'},
        'kill-at': {type: 'string'},
        keep: {type: 'boolean'},
        'dry-run': {type: 'boolean'},
        help: {type: 'boolean', short: 'h'},
      },
      strict: true,
    })
    if (values.help) return {help: true}
    const int = (value: string | undefined, name: string, fallback: number, min: number, max: number) => {
      if (value === undefined) return fallback
      const number = Number(value)
      if (!Number.isInteger(number) || number < min || number > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}, not "${value}"`)
      return number
    }
    const killAt = values['kill-at'] === undefined ? DEFAULTS.killAt : Number(values['kill-at'])
    if (!(killAt >= 0.1 && killAt <= 0.9)) throw new Error(`--kill-at must be a fraction from 0.1 to 0.9, not "${values['kill-at']}"`)
    return {
      durationSeconds: int(values.duration, 'duration', DEFAULTS.durationSeconds, 5, 300),
      writers: int(values.writers, 'writers', DEFAULTS.writers, 1, 64),
      readers: int(values.readers, 'readers', DEFAULTS.readers, 1, 64),
      listeners: int(values.listeners, 'listeners', DEFAULTS.listeners, 0, 500),
      slowQueries: int(values.slow, 'slow', DEFAULTS.slowQueries, 0, 8),
      slowDocs: int(values['slow-docs'], 'slow-docs', DEFAULTS.slowDocs, 0, 20_000),
      malformed: int(values.malformed, 'malformed', DEFAULTS.malformed, 0, 16),
      killAt,
      keep: values.keep ?? false,
      dryRun: values['dry-run'] ?? false,
    }
  } catch (error) {
    return {error: error instanceof Error ? error.message : String(error)}
  }
}

// ---- HTTP on loopback ---------------------------------------------------------------------

interface Answer {
  status: number
  body: string
}

/** One request; a connection failure or timeout answers status 0 (it never rejects). */
function call(agent: Agent, port: number, method: string, path: string, options: {token?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number} = {}): Promise<Answer> {
  return new Promise((resolveAnswer) => {
    const headers: Record<string, string> = {host: `${HOST}:${port}`, ...options.headers}
    if (options.token) headers.authorization = `Bearer ${options.token}`
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json'
      headers['content-length'] = String(Buffer.byteLength(options.body))
    }
    const req = httpRequest({host: HOST, port, method, path, headers, agent, timeout: options.timeoutMs ?? REQUEST_TIMEOUT_MS}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolveAnswer({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8')}))
      res.on('error', () => resolveAnswer({status: 0, body: ''}))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (error) => {
      if (process.env.CHAOS_DEBUG) console.error(`chaos: ${method} ${path.slice(0, 60)}: ${error.message}`)
      resolveAnswer({status: 0, body: ''})
    })
    req.end(options.body)
  })
}

const query = (agent: Agent, port: number, groq: string, params: Record<string, unknown> = {}, token?: string, timeoutMs?: number) =>
  call(agent, port, 'POST', `${API}/data/query/${DATASET}?returnQuery=false`, {body: JSON.stringify({query: groq, params}), ...(token ? {token} : {}), ...(timeoutMs ? {timeoutMs} : {})})

const mutate = (agent: Agent, port: number, token: string, mutations: unknown[]) =>
  call(agent, port, 'POST', `${API}/data/mutate/${DATASET}?returnIds=true`, {token, body: JSON.stringify({mutations})})

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolvePort(port))
    })
  })
}

// ---- the server process -------------------------------------------------------------------

/** The server process; `listening` resolves when it says it listens (its stdout's "API for scripts:" line). */
function spawnServer(port: number, dir: string): {child: ChildProcess; listening: Promise<void>} {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/serve.ts'), '--port', String(port), '--dir', dir, '--studio', join(dir, 'no-studio')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const listening = new Promise<void>((resolveListening, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('API for scripts:')) resolveListening()
    })
    child.once('exit', (code, signal) => reject(new Error(`The server exited (${signal ?? code}) before it listened`)))
  })
  listening.catch(() => {})
  // Boundary failures are the server's own bugs: pass them on.
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (/failed|uncaught/i.test(line)) process.stderr.write(`server: ${line}\n`)
  })
  return {child, listening}
}

async function waitUntilServing(agent: Agent, port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const answer = await call(agent, port, 'GET', '/v1/ping', {timeoutMs: 1000})
    if (answer.status === 200) return
    await sleep(50)
  }
  throw new Error(`The server did not answer on ${HOST}:${port} in time`)
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms))

// ---- the run ------------------------------------------------------------------------------

interface Sample {
  start: number
  end: number
  status: number
}

export interface ChaosReport {
  requests: number
  byClass: Record<string, number>
  serverErrorsOutsideKill: number
  serverErrorsInKill: number
  connectionFailuresOutsideKill: number
  acknowledgedWrites: number
  acknowledgedFound: number
  staleRevisionRefusals: number
  partialTransactions: number
  trivial: {count: number; p50: number; p95: number; max: number}
  killWindowMs: number
  listenerEvents: number
  slowQueries: {answered: number; timedOut: number}
  malformed: {sent: number; answered4xx: number}
}

export async function run(options: ChaosOptions, log: (line: string) => void = (line) => console.log(line)): Promise<ChaosReport | undefined> {
  const durationMs = options.durationSeconds * 1000
  if (options.dryRun) {
    log(
      [
        `Would start the app server (scripts/serve.ts) on ${HOST} with a fresh data folder, seed ${options.slowDocs} documents for slow queries,`,
        `then for ${options.durationSeconds} s run ${options.writers} writers (3-document transactions guarded by ifRevisionID), ${options.readers} readers of ${TRIVIAL},`,
        `${options.listeners} listeners, ${options.slowQueries} slow queries and ${options.malformed} senders of malformed requests; SIGKILL the server at ${Math.round(options.killAt * 100)}% and restart it;`,
        'then check every acknowledged write and every transaction for completeness.',
      ].join('\n'),
    )
    return undefined
  }
  const dir = mkdtempSync(join(tmpdir(), 'chaos-'))
  const port = await freePort()
  const agent = new Agent({keepAlive: true, maxSockets: 64})
  let {child, listening} = spawnServer(port, dir)
  const stopChild = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  process.once('exit', stopChild)
  try {
    await listening
    await waitUntilServing(agent, port, Date.now() + 30_000)
    const token = readFileSync(join(dir, 'token'), 'utf8').trim()
    // Writers' counters, and documents for the slow query.
    const setup: unknown[] = Array.from({length: options.writers}, (_, w) => ({createOrReplace: {_id: `chaos-counter-${w}`, _type: 'chaosCounter', seq: 0}}))
    for (let n = 0; n < options.slowDocs; n++) setup.push({create: {_id: `chaos-bulk-${n}`, _type: 'chaosBulk', n}})
    const seeded = await mutate(agent, port, token, setup)
    if (seeded.status !== 200) throw new Error(`Seeding the chaos documents failed: ${seeded.status} ${seeded.body.slice(0, 300)}`)
    log(`chaos: server on ${HOST}:${port}, data in ${dir}; running ${options.durationSeconds} s`)

    const started = Date.now()
    const endAt = started + durationMs
    let killStart = Number.POSITIVE_INFINITY
    let killEnd = Number.POSITIVE_INFINITY
    const inKill = (sample: {start: number; end: number}) => sample.end >= killStart && sample.start <= killEnd
    const samples: Sample[] = []
    const trivial: Sample[] = []
    const acknowledged = new Map<string, number>()
    let staleRefusals = 0
    let listenerEvents = 0
    const slow = {answered: 0, timedOut: 0}
    const malformed = {sent: 0, answered4xx: 0}
    const timed = async (work: () => Promise<Answer>, into: Sample[] = samples): Promise<Answer> => {
      const start = Date.now()
      const answer = await work()
      const sample = {start, end: Date.now(), status: answer.status}
      into.push(sample)
      if (into !== samples) samples.push(sample)
      return answer
    }

    const writer = async (w: number) => {
      const counter = `chaos-counter-${w}`
      let seq = 0
      let rev: string | undefined
      while (Date.now() < endAt) {
        if (rev === undefined) {
          const current = await timed(() => call(agent, port, 'GET', `${API}/data/doc/${DATASET}/${counter}`, {token}))
          const doc = current.status === 200 ? (JSON.parse(current.body) as {documents: {_rev: string; seq: number}[]}).documents[0] : undefined
          if (!doc) {
            await sleep(100)
            continue
          }
          rev = doc._rev
          seq = Math.max(seq, doc.seq)
        }
        const next = seq + 1
        const tx = `chaos-tx-${w}-${next}`
        const answer = await timed(() =>
          mutate(agent, port, token, [
            {patch: {id: counter, ifRevisionID: rev, set: {seq: next}}},
            ...['a', 'b', 'c'].map((part) => ({create: {_id: `${tx}-${part}`, _type: 'chaosTx', tx, part}})),
          ]),
        )
        if (answer.status === 200) {
          acknowledged.set(tx, Date.now())
          seq = next
          rev = (JSON.parse(answer.body) as {transactionId: string}).transactionId
        } else {
          // 409: someone (or a lost answer) moved the revision on; read it again.
          if (answer.status === 409) staleRefusals++
          rev = undefined
          if (answer.status === 0) await sleep(50)
        }
      }
    }

    const reader = async () => {
      while (Date.now() < endAt) {
        const answer = await timed(() => query(agent, port, TRIVIAL), trivial)
        if (answer.status === 0) await sleep(50)
        else await sleep(10)
      }
    }

    const slowQuery = async () => {
      while (Date.now() < endAt) {
        const answer = await timed(() => query(agent, port, SLOW, {}, undefined, 15_000))
        if (answer.status === 0) {
          slow.timedOut++
          await sleep(200)
        } else slow.answered++
      }
    }

    const MALFORMED: [string, string, string | undefined, Record<string, string>?][] = [
      ['GET', '/%E0%A4%A', undefined],
      ['GET', `${API}/data/query/%E0%A4%A?query=1`, undefined],
      ['GET', `${API}/data/doc/${DATASET}/%E0%A4%A`, undefined],
      ['POST', `${API}/data/mutate/${DATASET}`, '{"mutations":[{"create":'],
      ['POST', `${API}/data/query/${DATASET}`, '{"query":'],
      ['GET', `${API}/data/query/${DATASET}?query=*%5B`, undefined],
      ['GET', `${API}/data/query/${DATASET}?query=1&$p=notjson`, undefined],
      ['POST', `${API}/data/actions/${DATASET}`, '[]'],
      ['GET', '/auth/login?secret=guess', undefined],
      ['GET', `${API}/users/me`, undefined, {'x-big': 'a'.repeat(20_000)}],
      ['OPTIONS', `${API}/data/query/${DATASET}`, undefined, {origin: 'https://evil.example', 'access-control-request-method': 'POST'}],
    ]
    const malformedSender = async (m: number) => {
      for (let i = m; Date.now() < endAt; i += options.malformed) {
        const [method, path, body, headers] = MALFORMED[i % MALFORMED.length] ?? ['GET', '/', undefined]
        const answer = await timed(() => call(agent, port, method, path, {...(body === undefined ? {} : {body}), ...(headers ? {headers} : {})}))
        malformed.sent++
        if (process.env.CHAOS_DEBUG) console.error(`chaos: malformed ${method} ${path.slice(0, 50)} -> ${answer.status}`)
        if (answer.status >= 400 && answer.status < 500) malformed.answered4xx++
        await sleep(20)
      }
    }

    /** A listener reconnects when its stream ends, as @sanity/client does. */
    const listener = async () => {
      while (Date.now() < endAt) {
        await new Promise<void>((resolveStream) => {
          const path = `${API}/data/listen/${DATASET}?query=${encodeURIComponent('*[_type == "chaosTx"]')}&includeResult=false`
          const req = httpRequest({host: HOST, port, path, headers: {host: `${HOST}:${port}`, accept: 'text/event-stream'}, agent: false}, (res) => {
            samples.push({start: Date.now(), end: Date.now(), status: res.statusCode ?? 0})
            if (res.statusCode !== 200) {
              res.resume()
              res.on('end', resolveStream)
              return
            }
            res.setEncoding('utf8')
            res.on('data', (text: string) => {
              listenerEvents += text.split('event: mutation').length - 1
            })
            res.on('end', () => resolveStream())
            res.on('error', () => resolveStream())
            res.on('close', () => resolveStream())
          })
          req.on('error', () => resolveStream())
          const stop = setTimeout(() => req.destroy(), Math.max(0, endAt - Date.now()))
          req.on('close', () => clearTimeout(stop))
          req.end()
        })
        if (Date.now() < endAt) await sleep(200)
      }
    }

    const killer = async () => {
      await sleep(durationMs * options.killAt)
      killStart = Date.now()
      child.kill('SIGKILL')
      await new Promise((resolveExit) => child.once('exit', resolveExit))
      ;({child, listening} = spawnServer(port, dir))
      // The window ends when the new process listens: a server that is up but slow to answer
      // (say, busy with a slow query) counts against the figures outside the window.
      await listening
      killEnd = Date.now()
      log(`chaos: killed at ${((killStart - started) / 1000).toFixed(1)} s, listening again after ${killEnd - killStart} ms`)
    }

    await Promise.all([
      killer(),
      ...Array.from({length: options.writers}, (_, w) => writer(w)),
      ...Array.from({length: options.readers}, reader),
      ...Array.from({length: options.listeners}, listener),
      ...Array.from({length: options.slowQueries}, slowQuery),
      ...Array.from({length: options.malformed}, (_, m) => malformedSender(m)),
    ])

    // After the run: every acknowledged transaction must be there whole, and none in part.
    let stored: Answer = {status: 0, body: ''}
    for (let attempt = 0; attempt < 5 && stored.status !== 200; attempt++) {
      if (attempt > 0) await sleep(1000)
      stored = await query(agent, port, '*[_type == "chaosTx"]{tx, part}', {}, token, 60_000)
    }
    if (stored.status !== 200) throw new Error(`Reading the written documents back failed: ${stored.status} ${stored.body.slice(0, 300)}`)
    const parts = new Map<string, number>()
    for (const doc of (JSON.parse(stored.body) as {result: {tx: string}[]}).result) parts.set(doc.tx, (parts.get(doc.tx) ?? 0) + 1)
    const acknowledgedFound = [...acknowledged.keys()].filter((tx) => parts.get(tx) === 3).length
    const partialTransactions = [...parts.values()].filter((count) => count !== 3).length

    const outside = trivial.filter((sample) => !inKill(sample) && sample.status === 200).map((sample) => sample.end - sample.start)
    outside.sort((a, b) => a - b)
    const at = (q: number) => outside[Math.min(outside.length - 1, Math.floor(q * outside.length))] ?? 0
    const byClass: Record<string, number> = {}
    for (const sample of samples) {
      const key = sample.status === 0 ? 'no answer' : `${String(sample.status)[0]}xx`
      byClass[key] = (byClass[key] ?? 0) + 1
    }
    return {
      requests: samples.filter((sample) => sample.status !== 0).length,
      byClass,
      serverErrorsOutsideKill: samples.filter((sample) => sample.status >= 500 && !inKill(sample)).length,
      serverErrorsInKill: samples.filter((sample) => sample.status >= 500 && inKill(sample)).length,
      connectionFailuresOutsideKill: samples.filter((sample) => sample.status === 0 && !inKill(sample)).length,
      acknowledgedWrites: acknowledged.size,
      acknowledgedFound,
      staleRevisionRefusals: staleRefusals,
      partialTransactions,
      trivial: {count: outside.length, p50: at(0.5), p95: at(0.95), max: outside.at(-1) ?? 0},
      killWindowMs: Number.isFinite(killEnd) ? killEnd - killStart : Number.NaN,
      listenerEvents,
      slowQueries: slow,
      malformed,
    }
  } finally {
    agent.destroy()
    stopChild()
    process.off('exit', stopChild)
    if (options.keep) log(`chaos: data kept in ${dir}`)
    else rmSync(dir, {recursive: true, force: true})
  }
}

/** The figures, and whether each target holds. */
export function formatReport(report: ChaosReport): {text: string; ok: boolean} {
  const targets: [string, boolean][] = [
    [`0 lost acknowledged writes (${report.acknowledgedWrites - report.acknowledgedFound} lost)`, report.acknowledgedFound === report.acknowledgedWrites],
    [`0 partial transactions (${report.partialTransactions})`, report.partialTransactions === 0],
    [`0 5xx outside the kill window (${report.serverErrorsOutsideKill})`, report.serverErrorsOutsideKill === 0],
    [`trivial-query p95 <= ${TARGET_P95_MS} ms outside the kill window (${report.trivial.p95} ms)`, report.trivial.p95 <= TARGET_P95_MS],
  ]
  const lines = [
    `requests served:            ${report.requests} (${Object.entries(report.byClass)
      .map(([key, count]) => `${key}: ${count}`)
      .join(', ')})`,
    `5xx outside / in kill:      ${report.serverErrorsOutsideKill} / ${report.serverErrorsInKill}`,
    `no answer outside kill:     ${report.connectionFailuresOutsideKill} (timeouts or refused connections)`,
    `kill window:                ${report.killWindowMs} ms (SIGKILL until the new process listens)`,
    `acknowledged writes:        ${report.acknowledgedWrites} transactions of 3 documents`,
    `found after restart:        ${report.acknowledgedFound}`,
    `stale ifRevisionID (409):   ${report.staleRevisionRefusals}`,
    `partial transactions:       ${report.partialTransactions}`,
    `trivial query outside kill: ${report.trivial.count} answers, p50 ${report.trivial.p50} ms, p95 ${report.trivial.p95} ms, max ${report.trivial.max} ms`,
    `listener events received:   ${report.listenerEvents}`,
    `slow queries:               ${report.slowQueries.answered} answered, ${report.slowQueries.timedOut} gave up after 15 s`,
    `malformed requests:         ${report.malformed.sent} sent, ${report.malformed.answered4xx} answered 4xx`,
    '',
    ...targets.map(([what, ok]) => `${ok ? 'ok    ' : 'MISSED'} ${what}`),
  ]
  return {text: lines.join('\n'), ok: targets.every(([, ok]) => ok)}
}

const parsed = parseChaosArgs(process.argv.slice(2))
if ('help' in parsed) {
  console.log(HELP)
} else if ('error' in parsed) {
  console.error(`${parsed.error}\n\n${HELP}`)
  process.exitCode = 2
} else {
  run(parsed).then(
    (report) => {
      if (!report) return
      const {text, ok} = formatReport(report)
      console.log(`\n${text}`)
      process.exitCode = ok ? 0 : 1
    },
    (error: unknown) => {
      console.error(`chaos: ${error instanceof Error ? error.message : String(error)}`)
      process.exitCode = 1
    },
  )
}
