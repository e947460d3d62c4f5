/** Studio and React packages: a frontend entry importing any of them drags the Studio along. */
export const STUDIO_PACKAGES: ReadonlySet<string> = new Set(['sanity', '@sanity/ui', '@sanity/icons', '@sanity/vision', 'react', 'react-dom', 'styled-components'])

/**
 * The environment for an npm (or node) child process: without the outer npm's variables
 * (`npm_config_local_prefix` from `npm test` would point a nested npm at this repo) and without
 * any Sanity target a developer may have exported.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|INIT_CWD$|SANITY_|LAKE_)/i.test(key)) continue
    env[key] = value
  }
  return {...env, NO_UPDATE_NOTIFIER: '1', ...extra}
}
