/** `npm run import -- <file.tar.gz | file.ndjson>`: the entry of the import command in archive/import.ts. */
import {defaultImportDeps, IMPORT_USAGE, parseImportArgs, runImport} from '../archive/import'
import {runIfEntry} from '../lib/cli'

runIfEntry(import.meta.url, {usage: IMPORT_USAGE, parse: parseImportArgs, run: (options) => runImport(options, defaultImportDeps())})
