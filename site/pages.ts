/**
 * The site's pages as pure functions of the typed query results: HTML body plus JSON-LD.
 * Nothing here fetches; `handler.ts` runs the queries and chooses the status.
 */
import type {ImageUrlBuilder} from '@sanity/image-url'

import {escapeCommentBody, type FieldError} from '../comments/index'
import {excerpt, portableTextToHtml, portableTextToPlainText} from '../queries/portable-text'
import {commentThreads, type CommentThread} from '../queries/threads'
import type {
  FilmPageQueryResult,
  PersonPageQueryResult,
  ReviewListQueryResult,
  ReviewPageQueryResult,
} from '../sanity.types'
import {COUNTRIES, CREW_JOBS, GENRES, LANGUAGES, titleOf} from '../schemas/constants'
import {esc, pageShell, timeHtml} from './html'
import {imageHtml} from './images'

export type FilmPage = NonNullable<FilmPageQueryResult>
export type ReviewPage = NonNullable<ReviewPageQueryResult>
export type PersonPage = NonNullable<PersonPageQueryResult>
export type ReviewListItem = ReviewListQueryResult[number]

/** A field problem as the comment handler reports it. */
export type {FieldError}

/** What a comment form shows after a rejected submission: the reader's text and what to fix. */
export interface CommentFormState {
  /** Set for a reply form: the comment it answers. */
  parentId?: string
  values: {authorName: string; body: string}
  errors: FieldError[]
}

export interface ReviewPageOptions {
  /** Origin for absolute URLs in JSON-LD and the canonical link, e.g. `http://localhost:3434`. */
  origin: string
  /** The form to show with errors and the submitted values. */
  form?: CommentFormState
  /** Shown in the discussion after a successful submission. */
  commentPending?: boolean
  /** Builds image URLs (`imageUrls(client)` from queries/images); without it pages show no pictures. */
  images?: ImageUrlBuilder
}

/** Options every page takes. */
export interface SitePageOptions {
  origin: string
  /** Builds image URLs (`imageUrls(client)` from queries/images); without it pages show no pictures. */
  images?: ImageUrlBuilder
}

/** A schema.org `image` for JSON-LD: one 1200 px wide URL of the editor's crop. */
function ldImage(images: ImageUrlBuilder | undefined, image: {asset: {_ref: string} | null} | null | undefined): {image: string} | Record<string, never> {
  return images && image?.asset ? {image: images.image(image).width(1200).fit('max').url()} : {}
}

export const paths = {
  film: (slug: string) => `/films/${encodeURIComponent(slug)}`,
  review: (slug: string) => `/reviews/${encodeURIComponent(slug)}`,
  person: (slug: string) => `/people/${encodeURIComponent(slug)}`,
}

const genreTitle = (value: string) => titleOf(GENRES, value) ?? value
const jobTitle = (value: string) => titleOf(CREW_JOBS, value) ?? value
const countryTitle = (value: string) => titleOf(COUNTRIES, value) ?? value
const languageTitle = (value: string) => titleOf(LANGUAGES, value) ?? value
const AUTHOR_FALLBACK = 'Anonymous'

/**
 * Spoilers become focusable, so that without JavaScript a click or Tab reveals them (CSS `:focus`);
 * the inline script upgrades them to toggle buttons. The marker text comes from `portableTextToHtml`,
 * which escapes all content, so it cannot be forged from inside the text.
 */
function richText(blocks: Parameters<typeof portableTextToHtml>[0]): string {
  return portableTextToHtml(blocks).replaceAll(
    '<span class="spoiler">',
    '<span class="spoiler" tabindex="0" title="Spoiler: click to reveal">',
  )
}

function listSentence(items: string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

/** One director as an object, several as a list: what schema.org consumers expect most often. */
function oneOrMany<T>(items: T[]): T | T[] | undefined {
  if (items.length === 0) return undefined
  return items.length === 1 ? items[0] : items
}

// Review page.

type ReviewComment = ReviewPage['comments'][number]

export function renderReviewPage(review: ReviewPage, options: ReviewPageOptions): {html: string} {
  // The film is a reference: it can fail to resolve (deleted, or private to this reader).
  const film = review.film as ReviewPage['film'] | null
  const url = `${options.origin}${paths.review(review.slug)}`
  const directors = film?.directors ?? []
  const genres = film?.genres ?? []
  const author = review.authorName ?? AUTHOR_FALLBACK
  const comments = review.comments ?? []

  const facts = [
    directors.length
      ? `<dt>${directors.length === 1 ? 'Director' : 'Directors'}</dt><dd class="directors">${esc(listSentence(directors))}</dd>`
      : '',
    genres.length ? `<dt>Genres</dt><dd class="genres">${esc(genres.map(genreTitle).join(', '))}</dd>` : '',
  ].join('')

  const dates = review.publishedOn ? [`Published ${timeHtml(review.publishedOn)}`] : []
  if (review.updatedOn && review.updatedOn !== review.publishedOn) dates.push(`updated ${timeHtml(review.updatedOn)}`)
  const byline = [`By <span class="author">${esc(author)}</span>`, ...dates]
  if (review.rating !== null) byline.push(`Rating <strong>${esc(review.rating)}</strong>/10`)

  const sections = (review.sections ?? [])
    .map(
      (section) =>
        `<section class="review-section" id="section-${esc(section._key)}">\n<h2>${esc(section.heading ?? '')}</h2>\n${richText(section.body)}\n</section>`,
    )
    .join('\n')

  const filmHeader = film
    ? `<header class="film-header" aria-label="The film">
${imageHtml(options.images, film.poster, 'posterThumb', {fallbackAlt: `Poster of ${film.title}`})}
<p class="eyebrow">${review.kind === 'critic' ? 'Critic review' : 'User review'} of</p>
<p class="film-title">${filmLink(film)}</p>
${facts ? `<dl class="facts">${facts}</dl>` : ''}
${film.logline ? `<p class="logline">${esc(film.logline)}</p>` : ''}
</header>`
    : ''

  const body = `
${filmHeader}
<article class="review">
<header>
<h1>${esc(review.title ?? '')}</h1>
<p class="meta byline">${byline.join(' · ')}</p>
${review.containsSpoilers ? '<p class="warning spoiler-warning" role="note"><strong>Spoiler warning:</strong> this review discusses the plot. Marked spoilers stay hidden until you click them.</p>' : ''}
</header>
<div class="intro">
${richText(review.intro)}
</div>
${sections}
</article>
${renderDiscussion(review, comments, options)}`

  const reviewLd: Record<string, unknown> = {
    '@context': 'https://schema.org',
    '@type': 'Review',
    name: review.title,
    url,
    author: {'@type': 'Person', name: author},
    ...(review.publishedOn ? {datePublished: review.publishedOn} : {}),
    ...(review.updatedOn ? {dateModified: review.updatedOn} : {}),
    ...(review.rating !== null
      ? {reviewRating: {'@type': 'Rating', ratingValue: review.rating, bestRating: 10, worstRating: 0}}
      : {}),
    ...(film
      ? {
          itemReviewed: {
            '@type': 'Movie',
            name: film.title,
            ...(film.slug ? {url: `${options.origin}${paths.film(film.slug)}`} : {}),
            ...(film.releaseYear ? {dateCreated: String(film.releaseYear)} : {}),
            ...(film.logline ? {description: film.logline} : {}),
            genre: genres.map(genreTitle),
            ...(directors.length ? {director: oneOrMany(directors.map((name) => ({'@type': 'Person', name})))} : {}),
            ...ldImage(options.images, film.poster),
          },
        }
      : {}),
    commentCount: comments.length,
  }

  const intro = portableTextToPlainText(review.intro)
  return {
    html: pageShell({
      title: [review.title, film ? `${film.title ?? ''}${film.releaseYear ? ` (${film.releaseYear})` : ''}` : undefined]
        .filter(Boolean)
        .join(' — ')
        .concat(' · Film reviews'),
      ...(intro ? {description: excerpt(intro, 160)} : {}),
      canonical: url,
      jsonLd: [reviewLd],
      body,
    }),
  }
}

/** "Title (year)" linked to the film page when the film has a slug. */
function filmLink(film: {title: string | null; slug: string | null; releaseYear: number | null}): string {
  const title = esc(film.title ?? 'Untitled film')
  const year = film.releaseYear ? ` <span class="year">(${esc(film.releaseYear)})</span>` : ''
  return `${film.slug ? `<a href="${esc(paths.film(film.slug))}">${title}</a>` : title}${year}`
}

/**
 * The discussion: approved comments as threads (`commentThreads`: any depth, nested up to
 * `MAX_THREAD_DEPTH` levels), each with its own no-JavaScript reply form. A rejected submission
 * comes back in the form it was sent from, with its errors and the typed text; a reply whose
 * target is no longer on the page comes back in the main form, so the text is never lost.
 */
function renderDiscussion(review: ReviewPage, comments: ReviewComment[], options: ReviewPageOptions): string {
  const form = options.form
  const onPage = new Set(comments.map((comment) => comment._id))
  const replyState = form?.parentId && onPage.has(form.parentId) ? form : undefined
  const mainState = form && !replyState ? form : undefined

  const renderList = (nodes: CommentThread<ReviewComment>[], top: boolean): string =>
    `<ol class="${top ? 'comments' : 'replies'}">\n${nodes
      .map((node) => {
        const {comment} = node
        const state = replyState?.parentId === comment._id ? replyState : undefined
        const replies = node.replies.length ? `\n${renderList(node.replies, false)}` : ''
        return `<li>${commentHtml(node)}
<details class="reply"${state ? ' open' : ''}>
<summary>Reply to ${esc(comment.authorName)}</summary>
${commentForm({slug: review.slug, parentId: comment._id, replyTo: comment.authorName, state})}
</details>${replies}</li>`
      })
      .join('\n')}\n</ol>`

  const threads = commentThreads(comments)
  const thread = threads.length ? renderList(threads, true) : '<p class="meta">No comments yet. Be the first to share your thoughts.</p>'
  const count = comments.length
  const filmTitle = (review.film as ReviewPage['film'] | null)?.title
  return `<section class="discussion" id="discussion" aria-labelledby="discussion-heading">
<h2 id="discussion-heading">${filmTitle ? `Discuss ${esc(filmTitle)} below:` : 'Discussion'}</h2>
${options.commentPending ? '<p class="notice" role="status">Thank you! Your comment awaits moderation and will appear here once it is approved.</p>' : ''}
<p class="meta comment-count">${count === 1 ? '1 comment' : `${count} comments`}</p>
${thread}
${commentForm({slug: review.slug, state: mainState})}
</section>`
}

function commentHtml(node: CommentThread<ReviewComment>): string {
  const {comment, replyTo, parentRemoved} = node
  const context = replyTo
    ? `<p class="comment-context">In reply to <a href="#comment-${esc(replyTo._id)}">${esc(replyTo.authorName)}</a></p>\n`
    : parentRemoved
      ? '<p class="comment-context">In reply to a comment that has been removed</p>\n'
      : ''
  return `<article class="comment" id="comment-${esc(comment._id)}">
${context}<p class="comment-meta"><span class="comment-author">${esc(comment.authorName)}</span>${comment.createdAt ? timeHtml(comment.createdAt) : ''}</p>
<p class="comment-body">${escapeCommentBody(comment.body)}</p>
</article>`
}

const FIELD_LABELS: Record<string, string> = {authorName: 'Name', body: 'Comment'}

/**
 * A comment form that works without JavaScript: it posts to `/api/comments`, whose form wrapper
 * redirects back here, or answers this page again with the errors inline. `novalidate` so the
 * server's messages (the same for every client) are the ones readers see.
 */
function commentForm(options: {slug: string; parentId?: string; replyTo?: string; state: CommentFormState | undefined}): string {
  const {slug, parentId, state} = options
  const prefix = parentId ? `reply-${parentId}` : 'comment'
  const formId = parentId ? `reply-form-${parentId}` : 'comment-form'
  const errors = state?.errors ?? []
  const errorOf = (field: string) => errors.find((error) => error.field === field)?.message
  const firstInvalid = ['authorName', 'body'].find((field) => errorOf(field))
  // Problems with fields the reader cannot see (slug, reply target, unknown fields) go in the summary only.
  const summary = errors.length
    ? `<div class="form-errors" role="alert" id="${esc(prefix)}-errors"><strong>Your comment was not sent.</strong><ul>${errors
        .map((error) => {
          const label = FIELD_LABELS[error.field]
          return `<li>${label ? `<a href="#${esc(`${prefix}-${error.field}`)}">${esc(label)}</a>: ` : ''}${esc(error.message)}</li>`
        })
        .join('')}</ul></div>`
    : ''
  const field = (name: 'authorName' | 'body', label: string, control: (attrs: string) => string) => {
    const id = `${prefix}-${name}`
    const error = errorOf(name)
    const attrs = [
      `id="${esc(id)}"`,
      `name="${name}"`,
      'required',
      error ? `aria-invalid="true" aria-describedby="${esc(id)}-error"` : '',
      firstInvalid === name ? 'autofocus' : '',
    ]
      .filter(Boolean)
      .join(' ')
    return `<div class="field">
<label for="${esc(id)}">${esc(label)}</label>
${control(attrs)}
${error ? `<p class="field-error" id="${esc(id)}-error">${esc(error)}</p>` : ''}
</div>`
  }
  const values = state?.values ?? {authorName: '', body: ''}
  const heading = parentId ? '' : '<h3 id="comment-form-heading">Leave a comment</h3>'
  return `<form class="comment-form" id="${esc(formId)}" method="post" action="/api/comments#${esc(formId)}" novalidate${parentId ? '' : ' aria-labelledby="comment-form-heading"'}>
${heading}
${summary}
<input type="hidden" name="reviewSlug" value="${esc(slug)}">
${parentId ? `<input type="hidden" name="parentId" value="${esc(parentId)}">` : ''}
${field('authorName', 'Name', (attrs) => `<input type="text" ${attrs} maxlength="80" autocomplete="nickname" value="${esc(values.authorName)}">`)}
${field('body', parentId ? `Your reply to ${options.replyTo ?? 'this comment'}` : 'Comment', (attrs) => `<textarea ${attrs} rows="6" maxlength="5000">${esc(values.body)}</textarea>`)}
<div class="hp" aria-hidden="true"><label for="${esc(prefix)}-website">Leave this field empty</label><input type="text" id="${esc(prefix)}-website" name="website" tabindex="-1" autocomplete="off"></div>
<p class="hint">Comments are plain text and appear after a moderator approves them.</p>
<button type="submit">${parentId ? 'Post reply' : 'Post comment'}</button>
</form>`
}

// Film page.

function isResolvedPerson<T extends {name: string | null; slug: string | null}>(person: T): person is T & {name: string; slug: string} {
  return Boolean(person.name && person.slug)
}

export function renderFilmPage(film: FilmPage, options: SitePageOptions): {html: string} {
  const url = `${options.origin}${paths.film(film.slug)}`
  // A credit whose person reference dangles (weak, person deleted) has no one to show.
  const directors = (film.directors ?? []).filter(isResolvedPerson)
  const cast = (film.cast ?? []).filter(isResolvedPerson)
  const crew = (film.crew ?? []).filter(isResolvedPerson)
  const genres = (film.genres as FilmPage['genres'] | null) ?? []
  const personLink = (person: {name: string; slug: string}) =>
    `<a href="${esc(paths.person(person.slug))}">${esc(person.name)}</a>`

  // Crew grouped by job, in the order the jobs are listed in the schema.
  const crewByJob = CREW_JOBS.map((job) => ({job: job.value, people: crew.filter((member) => member.job === job.value)})).filter(
    (group) => group.people.length > 0,
  )

  const facts = [
    directors.length
      ? `<dt>${directors.length === 1 ? 'Director' : 'Directors'}</dt><dd class="directors">${directors.map(personLink).join(', ')}</dd>`
      : '',
    genres.length ? `<dt>Genres</dt><dd class="genres">${esc(genres.map(genreTitle).join(', '))}</dd>` : '',
    film.originalTitle ? `<dt>Original title</dt><dd class="original-title">${esc(film.originalTitle)}</dd>` : '',
    film.runtimeMinutes ? `<dt>Runtime</dt><dd class="runtime">${esc(film.runtimeMinutes)} min</dd>` : '',
    film.countries.length
      ? `<dt>${film.countries.length === 1 ? 'Country' : 'Countries'}</dt><dd class="countries">${esc(film.countries.map(countryTitle).join(', '))}</dd>`
      : '',
    film.languages.length
      ? `<dt>${film.languages.length === 1 ? 'Language' : 'Languages'}</dt><dd class="languages">${esc(film.languages.map(languageTitle).join(', '))}</dd>`
      : '',
    film.productionYear ? `<dt>Production year</dt><dd class="production-year">${esc(film.productionYear)}</dd>` : '',
    ...crewByJob.map((group) => `<dt>${esc(jobTitle(group.job))}</dt><dd>${group.people.map(personLink).join(', ')}</dd>`),
  ].join('')

  const castHtml = cast.length
    ? `<h2 id="cast">Cast</h2>\n<ul class="cast">\n${cast
        .map(
          (member) =>
            `<li>${imageHtml(options.images, member.portrait, 'castFace', {fallbackAlt: member.name})}${personLink(member)}${member.characterName ? ` <span class="role">as ${esc(member.characterName)}${member.isVoice ? ' (voice)' : ''}</span>` : ''}</li>`,
        )
        .join('\n')}\n</ul>`
    : ''

  const reviews = film.reviews.length
    ? `<ul class="card-list">\n${film.reviews
        .map(
          (review) => `<li class="card">
<h3><a href="${esc(paths.review(review.slug))}">${esc(review.title)}</a>${review.containsSpoilers ? ' <span class="badge">Spoilers</span>' : ''}</h3>
<p class="meta">By ${esc(review.authorName ?? AUTHOR_FALLBACK)} · ${timeHtml(review.publishedOn)}</p>
${review.containsSpoilers ? '' : `<p>${esc(excerpt(review.excerpt, 200))}</p>`}
</li>`,
        )
        .join('\n')}\n</ul>`
    : '<p class="meta">No reviews yet.</p>'

  const body = `<article class="film">
<header>
${imageHtml(options.images, film.poster, 'filmPoster', {fallbackAlt: `Poster of ${film.title}`, eager: true})}
<p class="eyebrow">Film</p>
<h1>${esc(film.title)} <span class="year">(${esc(film.releaseYear)})</span></h1>
${film.logline ? `<p class="logline">${esc(film.logline)}</p>` : ''}
</header>
${facts ? `<h2 id="details">Details</h2>\n<dl class="facts">${facts}</dl>` : ''}
${castHtml}
<h2 id="reviews">Reviews</h2>
${reviews}
</article>`

  const movieLd = {
    '@context': 'https://schema.org',
    '@type': 'Movie',
    name: film.title,
    ...(film.originalTitle ? {alternateName: film.originalTitle} : {}),
    url,
    dateCreated: String(film.releaseYear),
    ...(film.logline ? {description: film.logline} : {}),
    genre: genres.map(genreTitle),
    ...ldImage(options.images, film.poster),
    ...(film.runtimeMinutes ? {duration: `PT${film.runtimeMinutes}M`} : {}),
    ...(film.countries.length ? {countryOfOrigin: film.countries.map((country) => ({'@type': 'Country', name: countryTitle(country)}))} : {}),
    ...(film.languages.length ? {inLanguage: oneOrMany([...film.languages])} : {}),
    ...(directors.length
      ? {director: oneOrMany(directors.map((person) => ({'@type': 'Person', name: person.name, url: `${options.origin}${paths.person(person.slug)}`})))}
      : {}),
    actor: cast.map((member) => ({'@type': 'Person', name: member.name, url: `${options.origin}${paths.person(member.slug)}`})),
    review: film.reviews.map((review) => ({
      '@type': 'Review',
      name: review.title,
      url: `${options.origin}${paths.review(review.slug)}`,
      author: {'@type': 'Person', name: review.authorName ?? AUTHOR_FALLBACK},
      datePublished: review.publishedOn,
    })),
  }

  return {
    html: pageShell({
      title: `${film.title} (${film.releaseYear}) · Film reviews`,
      ...(film.logline ? {description: film.logline} : {}),
      canonical: url,
      jsonLd: [movieLd],
      body,
    }),
  }
}

// Person page.

export function renderPersonPage(person: PersonPage, options: SitePageOptions): {html: string} {
  const url = `${options.origin}${paths.person(person.slug)}`
  const aliases = person.aliases ?? []
  const bio = person.bio?.length ? richText(person.bio) : ''

  const credits = person.credits.length
    ? `<ul class="credits">\n${person.credits
        .map((film) => {
          const parts = [
            ...(film.roles ?? []).map((role) =>
              role.characterName ? `as ${role.characterName}${role.isVoice ? ' (voice)' : ''}` : role.isVoice ? 'voice' : 'cast',
            ),
            ...(film.jobs ?? []).map(jobTitle),
          ]
          return `<li><a href="${esc(paths.film(film.slug))}">${esc(film.title)}</a> <span class="year">(${esc(film.releaseYear)})</span>${parts.length ? ` <span class="role">— ${esc(parts.join(', '))}</span>` : ''}</li>`
        })
        .join('\n')}\n</ul>`
    : '<p class="meta">No films listed yet.</p>'

  const body = `<article class="person">
<header>
${imageHtml(options.images, person.image, 'portrait', {fallbackAlt: `Portrait of ${person.name}`, eager: true})}
<p class="eyebrow">Person</p>
<h1>${esc(person.name)}</h1>
${aliases.length ? `<p class="meta aliases">Also known as ${esc(listSentence(aliases))}</p>` : ''}
</header>
${bio ? `<div class="bio">\n${bio}\n</div>` : ''}
<h2 id="films">Films</h2>
${credits}
</article>`

  const bioText = person.bio?.length ? portableTextToPlainText(person.bio) : ''
  const personLd = {
    '@context': 'https://schema.org',
    '@type': 'Person',
    name: person.name,
    url,
    ...(aliases.length ? {alternateName: aliases} : {}),
    ...ldImage(options.images, person.image),
    ...(bioText ? {description: excerpt(bioText, 300)} : {}),
  }

  return {
    html: pageShell({
      title: `${person.name} · Film reviews`,
      ...(bioText ? {description: excerpt(bioText, 160)} : {}),
      canonical: url,
      jsonLd: [personLd],
      body,
    }),
  }
}

// Review list.

/** The card's film line; nothing when the film reference does not resolve (deleted, or private). */
function reviewedFilm(item: ReviewListItem, images: SitePageOptions['images']): string {
  const film = item.film as ReviewListItem['film'] | null
  if (!film) return ''
  return `${imageHtml(images, film.poster, 'posterThumb', {fallbackAlt: `Poster of ${film.title}`})}
<p class="eyebrow"><a href="${esc(paths.film(film.slug))}">${esc(film.title)}</a> (${esc(film.releaseYear)})</p>`
}

export function renderReviewList(
  items: ReviewListItem[],
  options: SitePageOptions & {nextHref: string | undefined; isFirstPage: boolean},
): {html: string} {
  const list = items.length
    ? `<ol class="card-list">\n${items
        .map(
          (item) => `<li class="card">
${reviewedFilm(item, options.images)}
<h2><a href="${esc(paths.review(item.slug))}">${esc(item.title)}</a>${item.containsSpoilers ? ' <span class="badge">Spoilers</span>' : ''}</h2>
<p class="meta">By ${esc(item.authorName ?? AUTHOR_FALLBACK)} · ${timeHtml(item.publishedOn)}</p>
${item.containsSpoilers ? '' : `<p>${esc(excerpt(item.excerpt, 200))}</p>`}
</li>`,
        )
        .join('\n')}\n</ol>`
    : `<p class="meta">${options.isFirstPage ? 'No reviews have been published yet.' : 'There are no older reviews.'}</p>`

  const pager = [
    options.isFirstPage ? '' : '<a href="/" rel="first">← Newest reviews</a>',
    options.nextHref ? `<a href="${esc(options.nextHref)}" rel="next">Older reviews →</a>` : '',
  ].filter(Boolean)

  const body = `<h1>Reviews</h1>
${list}
${pager.length ? `<nav class="pager" aria-label="Pages">${pager.join('\n')}</nav>` : ''}`

  const listLd = {
    '@context': 'https://schema.org',
    '@type': 'ItemList',
    itemListElement: items.map((item, index) => ({
      '@type': 'ListItem',
      position: index + 1,
      url: `${options.origin}${paths.review(item.slug)}`,
      name: item.title,
    })),
  }

  return {
    html: pageShell({
      title: options.isFirstPage ? 'Film reviews' : 'Older reviews · Film reviews',
      description: 'Reader reviews of films, with cast, crew and discussion.',
      jsonLd: [listLd],
      body,
    }),
  }
}
