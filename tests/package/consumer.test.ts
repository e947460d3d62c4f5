/**
 * The package as a frontend developer gets it: `npm pack` (which builds it through `prepack`),
 * the tarball installed into a fresh project, and there plain `node` (24 and the machine's 20),
 * `tsc` with `moduleResolution` nodenext and bundler, Vite, and the Vite bundle in Chromium,
 * all against a real local lake. The README's frontend examples are typechecked here too.
 *
 * Offline and fast: the consumer's `node_modules` starts as a hard-linked copy of this repo's
 * (`cp -al`, about two seconds), then `npm install --offline` adds the tarball, checks that every
 * dependency it declares is satisfied and prunes what the consumer does not need (the repo's
 * test tooling). Nothing is fetched. npm leaves installed packages alone, unlinks what it prunes
 * and writes new files, except node_modules/.package-lock.json, which it rewrites in place: the
 * copy gets its own before the install, and a test checks that this repo's is untouched.
 */
import {spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {delimiter, dirname, extname, join, normalize, resolve, sep} from 'node:path'

import {chromium} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {entries} from '../../rolldown.config'
import {chromiumPath} from '../helpers/chromium'
import {herDocuments, put, startTestLake, type TestLake} from '../helpers/lake'
import {HER_SLUG, SECTION_HEADINGS as HEADINGS} from '../site/support'
import {childEnv, STUDIO_PACKAGES} from './support'

const ROOT = resolve(import.meta.dirname, '../..')
const FIXTURE = join(import.meta.dirname, 'consumer-app')
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {name: string; version: string}

const LAKE_ERROR =
  'film-review-sanity: the local Content Lake (the /lake and /server entries) stores data with node:sqlite, ' +
  'which Node.js has from 22.13 (22.5+ with --experimental-sqlite); this is Node '

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(command: string, args: string[], options: {cwd: string; env?: Record<string, string>; timeoutMs?: number}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {cwd: options.cwd, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({code, stdout, stderr})
    })
  })
}

function ok(result: Run, what: string): Run {
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`)
  return result
}

/** The machine's own Node 20 (not the node@24 devDependency npm scripts put first on PATH). */
function findNode20(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !dir.includes('node_modules'))
  const candidates = [process.env.NODE20_PATH, '/usr/local/bin/node', ...dirs.map((dir) => join(dir, 'node'))]
  for (const candidate of candidates) {
    if (!candidate || !existsSync(candidate)) continue
    const version = spawnSync(candidate, ['--version'], {encoding: 'utf8'}).stdout.trim()
    if (version.startsWith('v20.')) return candidate
  }
  return undefined
}

interface ReadmeBlock {
  path: string
  code: string
}

/** The code blocks of README "Querying from a frontend" that name their file on the first line. */
function readmeBlocks(): ReadmeBlock[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const start = readme.indexOf('## Querying from a frontend')
  const end = readme.indexOf('\n## ', start + 1)
  const section = readme.slice(start, end === -1 ? undefined : end)
  const blocks: ReadmeBlock[] = []
  for (const match of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    const [, lang, code = ''] = match
    const lines = code.split('\n')
    const nameLine = lang === 'astro' ? lines[1] : lines[0]
    const path = /^\/\/ (\S+\.(?:mjs|ts|tsx|astro))$/.exec(nameLine ?? '')?.[1]
    if (path) blocks.push({path, code})
  }
  return blocks
}

/**
 * An Astro page's frontmatter as a TypeScript module: imports stay on top, the rest runs in a
 * function (Astro allows `return Astro.redirect(...)` there). The template is not checked.
 */
function astroFrontmatterModule(code: string): string {
  const frontmatter = /^---\n([\s\S]*?)\n---\n/.exec(code)?.[1]
  if (frontmatter === undefined) throw new Error('The Astro block has no frontmatter.')
  const lines = frontmatter.split('\n')
  const imports = lines.filter((line) => line.startsWith('import '))
  const body = lines.filter((line) => !line.startsWith('import '))
  return `${imports.join('\n')}\n\nexport async function frontmatter() {\n${body.join('\n')}\n}\n`
}

const installed = (name: string) => (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {version: string}).version

const node20 = findNode20()
if (!node20) {
  console.warn('consumer test: no Node 20 found (NODE20_PATH, /usr/local/bin/node, PATH): the Node 20 checks are skipped.')
}

describe('the packed package in a fresh consumer project', () => {
  let work: string
  let app: string
  let lake: TestLake
  /** Serves the consumer's Vite build; the lake allows this origin (CORS), as a project would. */
  let pages: Server
  let origin: string
  let packed: {filename: string; size: number; unpackedSize: number; files: Array<{path: string}>}
  const timings: Record<string, number> = {}
  const startedAt = Date.now()

  async function timed<T>(name: string, step: () => Promise<T>): Promise<T> {
    const start = Date.now()
    try {
      return await step()
    } finally {
      timings[name] = (Date.now() - start) / 1000
    }
  }

  const lakeEnv = () => ({SANITY_API_HOST: lake.lake.url, SANITY_DATASET: 'test'})
  let repoHiddenLockBefore: string | undefined

  /** This repo's node_modules/.package-lock.json: content and inode times, or nothing. */
  function hiddenLockState(): string | undefined {
    const file = join(ROOT, 'node_modules/.package-lock.json')
    if (!existsSync(file)) return undefined
    const {mtimeMs, ctimeMs} = statSync(file)
    return `${mtimeMs} ${ctimeMs} ${createHash('sha256').update(readFileSync(file)).digest('hex')}`
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'film-review-consumer-'))
    const pack = await timed('npm pack (build included)', async () =>
      ok(await run('npm', ['pack', '--json', '--pack-destination', work], {cwd: ROOT, timeoutMs: 240_000}), 'npm pack'),
    )
    const [result] = JSON.parse(pack.stdout) as Array<typeof packed>
    if (!result) throw new Error(`npm pack printed no result: ${pack.stdout}`)
    packed = result

    app = join(work, 'app')
    cpSync(FIXTURE, app, {recursive: true})
    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify(
        {
          name: 'film-review-consumer',
          private: true,
          type: 'module',
          dependencies: {
            [manifest.name]: `file:../${packed.filename}`,
            '@sanity/client': installed('@sanity/client'),
            react: installed('react'),
          },
          devDependencies: {'@types/react': installed('@types/react'), typescript: installed('typescript'), vite: installed('vite')},
        },
        null,
        2,
      )}\n`,
    )
    for (const block of readmeBlocks()) {
      const target = join(app, 'readme', block.path.endsWith('.astro') ? `${block.path}.ts` : block.path)
      mkdirSync(dirname(target), {recursive: true})
      writeFileSync(target, block.path.endsWith('.astro') ? astroFrontmatterModule(block.code) : block.code)
    }

    await timed('node_modules hard-linked', async () => {
      const linked = await run('cp', ['-al', join(ROOT, 'node_modules'), join(app, 'node_modules')], {cwd: work})
      if (linked.code !== 0) {
        console.warn(`consumer test: cp -al failed (${linked.stderr.trim()}); copying node_modules instead (slower).`)
        ok(await run('cp', ['-a', join(ROOT, 'node_modules'), join(app, 'node_modules')], {cwd: work, timeoutMs: 300_000}), 'cp -a')
      }
    })
    // npm rewrites node_modules/.package-lock.json in place: give the copy its own file first,
    // or the write would go through the hard link into this repo's node_modules.
    const hiddenLock = join(app, 'node_modules/.package-lock.json')
    if (existsSync(hiddenLock)) {
      const content = readFileSync(hiddenLock)
      rmSync(hiddenLock)
      writeFileSync(hiddenLock, content)
    }
    repoHiddenLockBefore = hiddenLockState()
    await timed('npm install --offline', async () =>
      ok(await run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {cwd: app, timeoutMs: 240_000}), 'npm install'),
    )

    pages = createServer((req, res) => {
      const dist = join(app, 'dist')
      const path = normalize(join(dist, new URL(req.url ?? '/', 'http://x').pathname))
      const file = path.endsWith(sep) ? join(path, 'index.html') : path
      if (!file.startsWith(dist) || !existsSync(file)) {
        res.writeHead(404).end()
        return
      }
      const type = {'.html': 'text/html', '.js': 'text/javascript'}[extname(file)] ?? 'application/octet-stream'
      res.writeHead(200, {'content-type': type}).end(readFileSync(file))
    })
    await new Promise<void>((done) => pages.listen(0, '127.0.0.1', done))
    origin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`
    lake = await startTestLake('test', {corsOrigins: [origin]})
    await put(lake.client, herDocuments().documents)
  }, 600_000)

  afterAll(async () => {
    await lake?.close()
    if (pages) await new Promise((done) => pages.close(done))
    if (work) rmSync(work, {recursive: true, force: true})
    const steps = Object.entries(timings).map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`)
    console.log(
      `consumer test: tarball ${(packed?.size / 1024).toFixed(1)} KiB (${(packed?.unpackedSize / 1024).toFixed(1)} KiB unpacked, ` +
        `${packed?.files.length} files); ${steps.join(', ')}; ${((Date.now() - startedAt) / 1000).toFixed(1)} s in all`,
    )
  })

  it('packs only the build: ESM files with their types, package.json and the README', () => {
    const paths = packed.files.map((file) => file.path).sort()
    expect(paths.filter((path) => !path.startsWith('pkg/'))).toEqual(['README.md', 'package.json'])
    expect(paths.filter((path) => path.startsWith('pkg/') && !path.endsWith('.js') && !path.endsWith('.d.ts'))).toEqual([])
    for (const entry of Object.keys(entries)) {
      expect(paths).toContain(`pkg/${entry}.js`)
      expect(paths).toContain(`pkg/${entry}.d.ts`)
    }
  })

  it('installs from the tarball alone: the consumer tree has the package and its dependencies, not this repo', () => {
    const nodeModules = join(app, 'node_modules')
    const installedManifest = JSON.parse(readFileSync(join(nodeModules, manifest.name, 'package.json'), 'utf8')) as {version: string}
    expect(installedManifest.version).toBe(manifest.version)
    expect(existsSync(join(nodeModules, manifest.name, 'pkg/index.js'))).toBe(true)
    expect(existsSync(join(nodeModules, manifest.name, 'queries'))).toBe(false)
    // The repo's own test tooling was pruned: what is left is what the consumer's manifest needs.
    for (const devOnly of ['vitest', 'playwright-core', 'rolldown-plugin-dts', 'node']) {
      expect(existsSync(join(nodeModules, devOnly)), devOnly).toBe(false)
    }
  })

  it("leaves this repo's node_modules as it was (the consumer's install writes only its own files)", () => {
    expect(hiddenLockState()).toBe(repoHiddenLockBefore)
    expect(existsSync(join(ROOT, 'node_modules', manifest.name))).toBe(false)
    expect(existsSync(join(ROOT, 'node_modules/vitest'))).toBe(true)
  })

  it('runs in plain node: fetchTyped(reviewPageQuery) against a running local lake', async () => {
    const result = ok(await run(process.execPath, ['src/fetch-review.mjs', HER_SLUG], {cwd: app, env: lakeEnv()}), 'fetch-review.mjs')
    expect(JSON.parse(result.stdout)).toEqual({
      node: process.versions.node.split('.')[0],
      apiVersion: '2025-02-19',
      title: 'Falling in love with AI',
      film: 'Her',
      directors: ['Spike Jonze'],
      headings: HEADINGS,
      firstSection: expect.any(String),
      filmReviews: [HER_SLUG],
      wrongParam: 'Invalid query parameters: $slug: Invalid input: expected string, received number',
      commentHandler: 'function',
    })
  })

  it("runs the README's Node script against the lake", async () => {
    const result = ok(await run(process.execPath, ['readme/print-review.mjs'], {cwd: app, env: lakeEnv()}), 'print-review.mjs')
    const lines = result.stdout.trim().split('\n')
    expect(lines[0]).toBe("Falling in love with AI [ 'Spike Jonze' ]")
    expect(lines.filter((line) => HEADINGS.some((heading) => line.startsWith(`${heading} <p>`)))).toHaveLength(HEADINGS.length)
  })

  it('starts the packaged lake on Node 22.13+ (its node:sqlite guard passes through)', async () => {
    const result = ok(await run(process.execPath, ['src/lake.mjs'], {cwd: app}), 'lake.mjs')
    expect(JSON.parse(result.stdout)).toEqual({_id: 'film-consumer', title: 'Consumer'})
  })

  it.skipIf(!node20)("works on the machine's Node 20 for the frontend entries; the lake entries say what they need", async () => {
    const node = node20 ?? ''
    const fetched = ok(await run(node, ['src/fetch-review.mjs', HER_SLUG], {cwd: app, env: lakeEnv()}), 'fetch-review.mjs on Node 20')
    expect(JSON.parse(fetched.stdout)).toMatchObject({node: '20', title: 'Falling in love with AI', headings: HEADINGS})
    const readme = ok(await run(node, ['readme/print-review.mjs'], {cwd: app, env: lakeEnv()}), 'print-review.mjs on Node 20')
    expect(readme.stdout.split('\n')[0]).toBe("Falling in love with AI [ 'Spike Jonze' ]")

    const version = spawnSync(node, ['--version'], {encoding: 'utf8'}).stdout.trim()
    for (const entry of ['lake', 'server']) {
      const result = ok(await run(node, ['src/node-only.mjs', entry], {cwd: app}), `import ${entry} on Node 20`)
      expect(JSON.parse(result.stdout), entry).toEqual({
        error: `${LAKE_ERROR}${version}. Run it on Node 22.13+ or 24. The runtime-neutral entries (film-review-sanity, /queries, /portable-text, /client, /comments) work on Node 20.`,
      })
    }
    const importer = ok(await run(node, ['src/node-only.mjs', 'importer'], {cwd: app}), 'import importer on Node 20')
    expect(JSON.parse(importer.stdout)).toEqual({loaded: expect.arrayContaining(['importReview', 'parseReview', 'syncDocuments'])})
  })

  for (const resolution of ['nodenext', 'bundler'] as const) {
    it(`typechecks with moduleResolution ${resolution}: the README pages compile, {slug: 3} does not`, async () => {
      const blocks = readmeBlocks().map((block) => block.path)
      expect(blocks).toEqual(['print-review.mjs', 'app/reviews/[slug]/page.tsx', 'src/pages/reviews/[slug].astro'])
      const tsc = join(app, 'node_modules/typescript/bin/tsc')
      const result = await run(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`, '--pretty', 'false'], {cwd: app})
      const errors = result.stdout.trim().split('\n').filter(Boolean)
      expect(errors).toEqual([
        "src/wrong-param.ts(5,59): error TS2322: Type 'number' is not assignable to type 'string'.",
      ])
      expect(result.code).toBe(2)
    })
  }

  it('bundles a browser entry with Vite: the queries are in, Node built-ins and Studio code are not', async () => {
    const vite = join(app, 'node_modules/vite/bin/vite.js')
    await timed('vite build', async () => ok(await run(process.execPath, [vite, 'build'], {cwd: app}), 'vite build'))
    const graph = JSON.parse(readFileSync(join(app, 'dist/graph.json'), 'utf8')) as Array<{fileName: string; moduleIds: string[]}>
    const modules = graph.flatMap((chunk) => chunk.moduleIds).map((id) => id.replace(`${app}${sep}`, ''))
    expect(modules).toContain('src/browser.ts')
    expect(modules.some((id) => id.startsWith(`node_modules/${manifest.name}/pkg/`))).toBe(true)
    // The browser build of @sanity/client, chosen by its export conditions.
    expect(modules).toContain('node_modules/@sanity/client/dist/index.browser.js')
    const forbidden = modules.filter(
      (id) => /__vite-browser-external|^node:/.test(id) || [...STUDIO_PACKAGES].some((name) => id.includes(`node_modules/${name}/`)),
    )
    expect(forbidden).toEqual([])
    const code = graph.map((chunk) => readFileSync(join(app, 'dist', chunk.fileName), 'utf8')).join('\n')
    expect(code.includes('*[_type == "review" && slug.current == $slug'), 'reviewPageQuery is in the bundle').toBe(true)
  })

  it('renders the review from the lake in Chromium with that bundle', async () => {
    const dist = join(app, 'dist')
    expect(existsSync(join(dist, 'index.html')), 'the Vite build ran').toBe(true)
    const browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    try {
      const page = await browser.newPage()
      await page.goto(`${origin}/?lake=${encodeURIComponent(lake.lake.url)}&slug=${HER_SLUG}`)
      await page.waitForSelector('body[data-state]')
      expect(await page.getAttribute('body', 'data-state'), await page.locator('body').innerText()).toBe('done')
      expect(await page.locator('h1').textContent()).toBe('Falling in love with AI')
      expect(await page.locator('h2').allTextContents()).toEqual(HEADINGS)
    } finally {
      await browser.close()
    }
  })
})
