// What an Astro page's frontmatter sees (`astro` is not installable offline here): the `Astro`
// global and Vite's `import.meta.env`, whose flags are booleans.
declare const Astro: {
  params: Record<string, string | undefined>
  redirect(path: string, status?: number): Response
}

interface ImportMetaEnv {
  readonly BASE_URL: string
  readonly MODE: string
  readonly DEV: boolean
  readonly PROD: boolean
  readonly SSR: boolean
  readonly [key: string]: unknown
}

interface ImportMeta {
  readonly env: ImportMetaEnv
}
