/**
 * HTML building blocks for the reference site: escaping, dates, JSON-LD and the page shell
 * (inline CSS, the small spoiler script and a Content-Security-Policy that allows only those two).
 */
import {createHash} from 'node:crypto'

import {escapeHTML} from '@portabletext/to-html'

export {escapeHTML}

/** Escapes text for an HTML text node or a double-quoted attribute value. */
export const esc = (value: string | number): string => escapeHTML(String(value))

const longDate = new Intl.DateTimeFormat('en-GB', {day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC'})

/** `2014-08-08` (or a full ISO datetime) as "8 August 2014"; unparseable input is shown as is. */
export function formatDate(value: string): string {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value)
  return Number.isNaN(date.getTime()) ? value : longDate.format(date)
}

/** A `<time>` element with the machine-readable value kept. */
export function timeHtml(value: string): string {
  return `<time datetime="${esc(value)}">${esc(formatDate(value))}</time>`
}

/**
 * Serialises JSON-LD for a `<script type="application/ld+json">` block. `<` becomes `\u003c`
 * so text such as `</script>` can never close the element; `>`, `&` and the two JavaScript
 * line terminators are escaped too, which keeps it safe if someone inlines it elsewhere.
 */
export function jsonLdScript(data: unknown): string {
  const json = JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
  return `<script type="application/ld+json">${json}</script>`
}

/**
 * Progressive enhancement for spoilers. Without JavaScript a spoiler shows while focused (a click
 * or Tab focuses it, see the CSS); with it, a click or Enter/Space toggles `revealed` and the
 * button state, and a hidden spoiler is labelled so screen readers do not read it out.
 */
const SCRIPT = `(() => {
  const root = document.documentElement
  root.classList.add('js')
  const LABEL = 'Hidden spoiler. Activate to reveal.'
  const set = (spoiler, open) => {
    spoiler.classList.toggle('revealed', open)
    spoiler.setAttribute('aria-expanded', String(open))
    if (open) spoiler.removeAttribute('aria-label')
    else spoiler.setAttribute('aria-label', LABEL)
  }
  for (const spoiler of document.querySelectorAll('.spoiler')) {
    spoiler.setAttribute('role', 'button')
    spoiler.removeAttribute('title')
    set(spoiler, false)
  }
  const spoilerOf = (target) => (target instanceof Element ? target.closest('.spoiler') : null)
  document.addEventListener('click', (event) => {
    const spoiler = spoilerOf(event.target)
    if (!spoiler) return
    const open = spoiler.classList.contains('revealed')
    // A link inside a revealed spoiler still works; inside a hidden one the first click only reveals.
    if (open && event.target instanceof Element && event.target.closest('a')) return
    event.preventDefault()
    set(spoiler, !open)
  })
  document.addEventListener('keydown', (event) => {
    const spoiler = spoilerOf(event.target)
    if (!spoiler || event.target !== spoiler || (event.key !== 'Enter' && event.key !== ' ')) return
    event.preventDefault()
    set(spoiler, !spoiler.classList.contains('revealed'))
  })
})()`

const CSS = `
:root {
  --paper: #fbfaf6; --ink: #1d1c1a; --muted: #5d5a53; --rule: #dcd7cc; --accent: #8a2b1d;
  --panel: #f2eee4; --spoiler-bg: #f4e3b5; --error: #a0201a; --ok: #1f5f3a;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --paper: #181716; --ink: #ebe7df; --muted: #aaa397; --rule: #3b3833; --accent: #f08a6c;
    --panel: #23211e; --spoiler-bg: #4a3f1f; --error: #ff8a7a; --ok: #8fd6a8;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; background: var(--paper); color: var(--ink);
  font: 1.1875rem/1.65 Charter, "Bitstream Charter", "Sitka Text", Cambria, Georgia, serif;
  font-kerning: normal; text-rendering: optimizeLegibility;
}
a { color: var(--accent); text-decoration-thickness: 1px; text-underline-offset: .15em; }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -10000px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--paper); padding: .25rem .5rem; z-index: 1; }
.site-header, .site-footer, main { max-width: 40rem; margin: 0 auto; padding: 0 1.25rem; }
.site-header { display: flex; align-items: baseline; justify-content: space-between; gap: 1rem; padding-top: 1rem; padding-bottom: .75rem; border-bottom: 1px solid var(--rule); }
.site-header a { color: inherit; text-decoration: none; }
.brand { font: 700 1rem/1.2 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; letter-spacing: .08em; text-transform: uppercase; }
.site-nav { font: .95rem/1.2 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.site-footer { margin-top: 4rem; padding-top: 1rem; padding-bottom: 2rem; border-top: 1px solid var(--rule); color: var(--muted); font: .875rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { padding-top: 1.5rem; }
h1, h2, h3, h4 { line-height: 1.2; text-wrap: balance; font-weight: 700; }
h1 { font-size: clamp(2rem, 1.4rem + 2.6vw, 2.75rem); margin: .25rem 0 .75rem; letter-spacing: -.01em; }
h2 { font-size: 1.5rem; margin: 2.5rem 0 .75rem; }
h3 { font-size: 1.2rem; margin: 1.75rem 0 .5rem; }
p, ul, ol, dl, blockquote { margin: 0 0 1.1em; }
p { hyphens: auto; overflow-wrap: break-word; }
blockquote { margin-left: 0; padding-left: 1rem; border-left: 3px solid var(--rule); color: var(--muted); font-style: italic; }
.sans, .meta, .facts, .eyebrow, .notice, .warning, .pager, form, .comment-meta, .badge {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
.eyebrow { margin: 0; color: var(--muted); font-size: .8rem; letter-spacing: .08em; text-transform: uppercase; }
.meta { color: var(--muted); font-size: .95rem; }
.film-header { margin: 0 0 2rem; padding: 1rem 1.25rem 1.1rem; background: var(--panel); border-radius: .5rem; }
.film-title { margin: .1rem 0 .5rem; font-size: 1.6rem; font-weight: 700; line-height: 1.2; }
.film-title a { color: inherit; }
.year { color: var(--muted); font-weight: 400; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; font-size: .95rem; margin: 0 0 .75rem; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.logline { margin: 0; font-style: italic; }
.byline { margin: 0 0 1rem; }
.warning { border-left: 4px solid var(--accent); background: var(--panel); padding: .6rem .9rem; font-size: .95rem; border-radius: 0 .35rem .35rem 0; }
.notice { border-left: 4px solid var(--ok); background: var(--panel); padding: .6rem .9rem; font-size: .95rem; border-radius: 0 .35rem .35rem 0; }
.review-section h2 { padding-top: .25rem; }
.spoiler { border-radius: .2em; cursor: pointer; -webkit-box-decoration-break: clone; box-decoration-break: clone; }
@media (prefers-reduced-motion: no-preference) { .spoiler { transition: background-color .15s, color .15s; } }
/* Hidden: without JS unless focused (click or Tab shows it), with JS until toggled. */
html:not(.js) .spoiler:not(:focus), .js .spoiler:not(.revealed) { background: var(--ink); color: transparent; }
html:not(.js) .spoiler:not(:focus) *, .js .spoiler:not(.revealed) * { color: transparent; text-decoration-color: transparent; }
html:not(.js) .spoiler:focus, .spoiler.revealed { background: var(--spoiler-bg); }
.card-list, .comments, .replies, .credits, .cast { list-style: none; padding: 0; }
.card { padding: 1.1rem 0; border-bottom: 1px solid var(--rule); }
.card:first-child { padding-top: 0; }
.card h2, .card h3 { margin: .15rem 0 .35rem; font-size: 1.3rem; }
.card p { margin: 0 0 .4rem; }
.badge { display: inline-block; font-size: .75rem; letter-spacing: .04em; text-transform: uppercase; border: 1px solid var(--accent); color: var(--accent); border-radius: .25rem; padding: 0 .35rem; vertical-align: .15em; }
.cast li, .credits li { padding: .3rem 0; border-bottom: 1px solid var(--rule); }
.role { color: var(--muted); }
.pager { display: flex; justify-content: space-between; gap: 1rem; margin-top: 1.5rem; }
.discussion { margin-top: 3rem; padding-top: .5rem; border-top: 2px solid var(--ink); }
.comment { padding: .75rem 0; }
.comment-meta { margin: 0 0 .25rem; font-size: .9rem; color: var(--muted); }
.comment-author { color: var(--ink); font-weight: 600; margin-right: .5rem; }
.comment-body { margin: 0; white-space: normal; overflow-wrap: anywhere; }
.comment-context { margin: 0 0 .15rem; font-size: .85rem; color: var(--muted); font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.comments > li { border-top: 1px solid var(--rule); }
.replies { margin: 0 0 .5rem 1.25rem; padding-left: 1rem; border-left: 2px solid var(--rule); }
.reply > summary { cursor: pointer; color: var(--accent); font: .9rem/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin-bottom: .75rem; }
form { font-size: 1rem; }
.comment-form { margin: 1.5rem 0 0; padding: 1rem 1.25rem 1.25rem; background: var(--panel); border-radius: .5rem; }
.comment-form h3 { margin: 0 0 1rem; font-family: inherit; }
.field { margin: 0 0 1rem; }
.field label { display: block; font-weight: 600; margin-bottom: .3rem; }
.field input, .field textarea {
  display: block; width: 100%; font: inherit; font-size: 1rem; color: var(--ink); background: var(--paper);
  border: 1px solid var(--muted); border-radius: .35rem; padding: .55rem .65rem;
}
.field textarea { min-height: 8rem; resize: vertical; line-height: 1.5; }
.field [aria-invalid="true"] { border: 2px solid var(--error); }
.field-error, .form-errors { color: var(--error); font-size: .92rem; margin: .35rem 0 0; }
.form-errors { margin: 0 0 1rem; padding: .5rem .75rem; border: 2px solid var(--error); border-radius: .35rem; }
.form-errors ul { margin: .25rem 0 0; padding-left: 1.25rem; }
.hint { color: var(--muted); font-size: .9rem; margin: 0 0 1rem; }
button {
  font: 600 1rem/1 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #fff; background: var(--accent);
  border: 0; border-radius: .35rem; padding: .7rem 1.1rem; cursor: pointer;
}
@media (prefers-color-scheme: dark) { button { color: #1b1410; } }
.hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
/* Pictures (site/images.ts): the blurred LQIP holds the space until the image covers it. */
.media { position: relative; display: block; overflow: hidden; background: var(--rule); border-radius: .35rem; }
.media img { display: block; width: 100%; height: auto; }
.media .picture { position: relative; }
.media .lqip { position: absolute; inset: 0; height: 100%; object-fit: cover; filter: blur(10px); transform: scale(1.15); }
.media-filmPoster { float: right; width: 12rem; margin: 0 0 1rem 1.5rem; }
.media-portrait { float: right; width: 15rem; margin: 0 0 1rem 1.5rem; }
.media-posterThumb { float: right; width: 6rem; margin: 0 0 .5rem 1rem; border-radius: .25rem; }
.media-castFace { display: inline-block; width: 3rem; margin-right: .75rem; vertical-align: middle; border-radius: 50%; }
.film > header, .person > header, .film-header, .card { display: flow-root; }
@media (max-width: 30rem) {
  body { font-size: 1.0625rem; line-height: 1.6; }
  .site-header, .site-footer, main { padding-left: 1rem; padding-right: 1rem; }
  .film-header { padding: .85rem 1rem; margin-left: -.25rem; margin-right: -.25rem; }
  .facts { grid-template-columns: 1fr; gap: 0; }
  .facts dd + dt { margin-top: .35rem; }
  h2 { font-size: 1.35rem; }
  .replies { margin-left: .5rem; padding-left: .75rem; }
  .media-filmPoster { width: 8rem; margin-left: 1rem; }
  .media-portrait { width: 10rem; margin-left: 1rem; }
  .media-posterThumb { width: 4rem; }
}
`.trim()

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

/** Only the page's own inline style and script run; forms may post only back here. */
const CSP = [
  "default-src 'none'",
  `style-src ${sha256(CSS)}`,
  `script-src ${sha256(SCRIPT)}`,
  // Pictures come from the Content Lake: a hosted project's CDN (https) or a local lake on loopback; LQIPs are data URLs.
  "img-src 'self' data: https: http://127.0.0.1:* http://localhost:*",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

export interface PageOptions {
  title: string
  /** The page's content, already HTML. */
  body: string
  /** JSON-LD objects to embed. */
  jsonLd?: unknown[]
  description?: string
  /** Absolute URL of the page, for `<link rel="canonical">`. */
  canonical?: string
}

/** The whole document around a page's content. */
export function pageShell(options: PageOptions): string {
  const description = options.description
    ? `<meta name="description" content="${esc(options.description)}">`
    : ''
  const canonical = options.canonical ? `<link rel="canonical" href="${esc(options.canonical)}">` : ''
  const jsonLd = (options.jsonLd ?? []).map(jsonLdScript).join('\n')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(options.title)}</title>
${description}${canonical}
<style>${CSS}</style>
${jsonLd}
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header class="site-header">
<a class="brand" href="/">Film reviews</a>
<nav class="site-nav" aria-label="Site"><a href="/">All reviews</a></nav>
</header>
<main id="content">
${options.body}
</main>
<footer class="site-footer"><p>Reviews and comments from readers. Content served live from the Content Lake.</p></footer>
<script>${SCRIPT}</script>
</body>
</html>
`
}

/** Headers every HTML page gets; query results are never cached, so a publish shows on the next request. */
export function htmlHeaders(extra: Record<string, string> = {}): Headers {
  return new Headers({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    ...extra,
  })
}

/** An HTML response; HEAD requests get the headers only. */
export function htmlResponse(
  request: Request,
  html: string,
  status = 200,
  extra: Record<string, string> = {},
): Response {
  return new Response(request.method === 'HEAD' ? null : html, {status, headers: htmlHeaders(extra)})
}

/** A short page for 404, 500 and the comment errors: a heading, a sentence and a way home. */
export function messagePage(title: string, message: string, extraHtml = ''): string {
  return pageShell({
    title: `${title} · Film reviews`,
    body: `<h1>${esc(title)}</h1>\n<p>${esc(message)}</p>\n${extraHtml}<p><a href="/">Back to all reviews</a></p>`,
  })
}
