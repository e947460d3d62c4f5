/**
 * Serves the Studio and the local lake API on one loopback port:
 *   tsx scripts/serve.ts [--port 3434] [--dir .lake] [--studio dist] [--cors-origin <origin>]...
 * Build the Studio first ("npm run build"). `npm start` does all of this and also serves the site.
 */
import {parseArgs} from 'node:util'

import {wholeNumberOption} from '../lib/cli'
import {defaultLakeDir, defaultLakePort} from '../lib/env'
import {CORS_ORIGINS_ENV, resolveCorsOrigins, startServer} from '../server'

const HELP = `Usage: tsx scripts/serve.ts [options]

Serves the built Studio and the local Content Lake API on 127.0.0.1, over HTTP/2 + TLS
for the browser (plain HTTP on the same port for scripts and @sanity/client).

Options:
  --port <port>    Port (default ${defaultLakePort}; 0 picks a free one)
  --dir <folder>   Data folder (default ${defaultLakeDir})
  --studio <dir>   The built Studio (default dist; build it with "npm run build")
  --cors-origin <origin>
                   A browser origin (e.g. http://localhost:3333) that may call the API with
                   credentials; repeat for more, or list them in ${CORS_ORIGINS_ENV} (comma-separated)
  --help           Show this help`

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}\n`)
  process.exit(2)
}

async function main(): Promise<void> {
  let values: {port?: string; dir?: string; studio?: string; 'cors-origin'?: string[]; help?: boolean}
  try {
    ;({values} = parseArgs({
      options: {
        port: {type: 'string'},
        dir: {type: 'string'},
        studio: {type: 'string'},
        'cors-origin': {type: 'string', multiple: true},
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
  let port: number | undefined
  try {
    port = wholeNumberOption(values.port, 'port', 0, 65535)
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }
  let corsOrigins: string[] = []
  try {
    corsOrigins = resolveCorsOrigins(values['cors-origin'])
  } catch (error) {
    fail(`--cors-origin/${CORS_ORIGINS_ENV}: ${error instanceof Error ? error.message : String(error)}`)
  }

  const server = await startServer({
    ...(port === undefined ? {} : {port}),
    dir: values.dir ?? defaultLakeDir,
    studioDir: values.studio ?? 'dist',
    corsOrigins,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  process.stdout.write(
    `Studio: ${server.studioUrl}\n` +
      `  Sign in once with this link (one-time secret, keep it to yourself):\n  ${server.loginUrl}\n` +
      `  (the browser asks once to trust the local certificate ${server.certFile})\n` +
      `API for scripts: ${server.apiUrl} (token in ${server.tokenFile ?? 'SANITY_API_WRITE_TOKEN'})\n`,
  )
  const stop = () => {
    void server.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
