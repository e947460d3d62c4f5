// Imports one Node-only entry (argv[2]) and reports how that went, as JSON.
try {
  const entry = await import(`film-review-sanity/${process.argv[2]}`)
  console.log(JSON.stringify({loaded: Object.keys(entry).sort()}))
} catch (error) {
  console.log(JSON.stringify({error: error instanceof Error ? error.message : String(error)}))
}
