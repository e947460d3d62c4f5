/**
 * `npm run load:comments -- [--clients 20] [--seconds 10]`: a bounded load test of the comment
 * endpoint on loopback (`runCommentLoad` in comments/load.ts); exits 1 when an invariant broke.
 */
import {parseArgs} from 'node:util'

import {runCommentLoad, type LoadOptions} from '../comments/load'
import {type CliArgs, runIfEntry, wholeNumberOption} from '../lib/cli'

const USAGE = `Usage: npm run load:comments -- [--clients 1..1000] [--seconds 1..600]

Starts a local lake in a temporary folder and the comment handler in front of it; the clients
post comments, replies, honeypot hits and invalid bodies while a moderator approves. Prints the
answers, throughput and latency, and checks every accepted comment was stored exactly once.
`

function parseLoadArgs(argv: readonly string[]): CliArgs<LoadOptions> {
  try {
    const {values} = parseArgs({
      args: [...argv],
      options: {clients: {type: 'string', default: '20'}, seconds: {type: 'string', default: '10'}, help: {type: 'boolean', short: 'h', default: false}},
      strict: true,
    })
    if (values.help) return {kind: 'help'}
    const clients = wholeNumberOption(values.clients, 'clients', 1, 1000) ?? 20
    const seconds = wholeNumberOption(values.seconds, 'seconds', 1, 600) ?? 10
    return {kind: 'run', options: {clients, durationMs: seconds * 1000, log: (line) => console.log(line)}}
  } catch (error) {
    return {kind: 'error', message: error instanceof Error ? error.message : String(error)}
  }
}

runIfEntry(import.meta.url, {
  usage: USAGE,
  parse: parseLoadArgs,
  run: async (options) => ((await runCommentLoad(options)).problems.length === 0 ? 0 : 1),
})
