/** `npm run export -- --out <file.tar.gz>`: the entry of the export command in archive/export.ts. */
import {defaultExportDeps, EXPORT_USAGE, parseExportArgs, runExport} from '../archive/export'
import {runIfEntry} from '../lib/cli'

runIfEntry(import.meta.url, {usage: EXPORT_USAGE, parse: parseExportArgs, run: (options) => runExport(options, defaultExportDeps())})
