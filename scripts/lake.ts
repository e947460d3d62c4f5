/**
 * Starts the embedded local Content Lake alone:
 *   npm run lake -- [--port 3434] [--dir .lake] [--max-body 33554432] [--query-timeout 10000] [--query-workers 2] [--history-retention-days 365]
 */
import {parseArgs} from 'node:util'

import {wholeNumberOption} from '../lib/cli'
import {defaultLakeDir, defaultLakePort} from '../lib/env'
import {DEFAULT_MAX_BODY_BYTES, DEFAULT_QUERY_TIMEOUT_MS, startLake} from '../lake'
import {CORS_ORIGINS_ENV, resolveCorsOrigins} from '../lake/http'
import {DEFAULT_HISTORY_RETENTION_DAYS, HISTORY_RETENTION_ENV, resolveHistoryRetentionDays} from '../lake/scheduler'

const HELP = `Usage: npm run lake -- [options]

Starts the local Content Lake on 127.0.0.1 (Sanity's HTTP API, stored in SQLite).

Options:
  --port <port>      Port to listen on (default ${defaultLakePort}; 0 picks a free one)
  --dir <folder>     Data folder (default ${defaultLakeDir})
  --max-body <bytes> Largest accepted request body (default ${DEFAULT_MAX_BODY_BYTES})
  --query-timeout <ms>
                     Time budget of one query; longer ones answer 408 (default ${DEFAULT_QUERY_TIMEOUT_MS})
  --query-workers <n>
                     Worker threads that evaluate GROQ (default 2)
  --history-retention-days <days>
                     Days of document history kept (default ${DEFAULT_HISTORY_RETENTION_DAYS}; 0 keeps all;
                     or ${HISTORY_RETENTION_ENV})
  --help             Show this help

The write token is SANITY_API_WRITE_TOKEN if set; otherwise it is generated on first
start and kept (mode 0600) in <dir>/token. Browser origins that may call the API with
credentials (CORS) are listed in ${CORS_ORIGINS_ENV} (comma-separated).`

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}\n`)
  process.exit(2)
}

function parseInteger(value: string | undefined, name: string, min: number, max: number): number | undefined {
  try {
    return wholeNumberOption(value, name, min, max)
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error))
  }
}

async function main(): Promise<void> {
  let values: {port?: string; dir?: string; 'max-body'?: string; 'query-timeout'?: string; 'query-workers'?: string; 'history-retention-days'?: string; help?: boolean}
  try {
    ;({values} = parseArgs({
      options: {
        port: {type: 'string'},
        dir: {type: 'string'},
        'max-body': {type: 'string'},
        'query-timeout': {type: 'string'},
        'query-workers': {type: 'string'},
        'history-retention-days': {type: 'string'},
        help: {type: 'boolean', short: 'h'},
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`)
    return
  }
  const port = parseInteger(values.port, 'port', 0, 65535)
  const maxBodyBytes = parseInteger(values['max-body'], 'max-body', 1024, 2 ** 32)
  const queryTimeoutMs = parseInteger(values['query-timeout'], 'query-timeout', 10, 3_600_000)
  const queryWorkers = parseInteger(values['query-workers'], 'query-workers', 1, 64)
  let historyRetentionDays: number | undefined
  try {
    historyRetentionDays = resolveHistoryRetentionDays(values['history-retention-days'])
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }

  const lake = await startLake({
    ...(port === undefined ? {} : {port}),
    dir: values.dir ?? defaultLakeDir,
    ...(maxBodyBytes === undefined ? {} : {maxBodyBytes}),
    corsOrigins: resolveCorsOrigins(),
    ...(queryTimeoutMs === undefined ? {} : {queryTimeoutMs}),
    ...(queryWorkers === undefined ? {} : {queryWorkers}),
    ...(historyRetentionDays === undefined ? {} : {historyRetentionDays}),
    log: (line) => process.stderr.write(`${line}\n`),
  })
  if (!lake.tokenFile) process.stdout.write('lake token: from SANITY_API_WRITE_TOKEN\n')
  else process.stdout.write(`lake token file: ${lake.tokenFile}\n`)
  process.stdout.write(`lake data folder: ${lake.dir}\n`)
  process.stdout.write(`lake listening on ${lake.url}\n`)

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`lake: ${signal}, closing\n`)
    lake.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`lake: close failed: ${String(error)}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`lake: could not start: ${message}\n`)
  process.exit(1)
})
