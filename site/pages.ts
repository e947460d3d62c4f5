/**
 * The site's pages as pure functions of the typed query results: HTML body plus JSON-LD.
 * Nothing here fetches; `handler.ts` runs the queries and chooses the status.
 */
import {escapeCommentBody} from '../comments/index'
import {excerpt, portableTextToHtml, portableTextToPlainText} from '../queries/portable-text'
import type {
  FilmPageQueryResult,
  PersonPageQueryResult,
  ReviewListQueryResult,
  ReviewPageQueryResult,
} from '../sanity.types'
import {COUNTRIES, CREW_JOBS, GENRES, LANGUAGES, titleOf} from '../schemas/constants'
import {esc, pageShell, timeHtml} from './html'

export type FilmPage = NonNullable<FilmPageQueryResult>
export type ReviewPage = NonNullable<ReviewPageQueryResult>
export type PersonPage = NonNullable<PersonPageQueryResult>
export type ReviewListItem = ReviewListQueryResult[number]

/** A field problem as the comment handler reports it. */
export interface FieldError {
  field: string
  message: string
}

/** What a comment form shows after a rejected submission: the reader's text and what to fix. */
export interface CommentFormState {
  /** Set for a reply form; the thread's top-level comment it answers. */
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

export function renderReviewPage(review: ReviewPage, options: ReviewPageOptions): {html: string} {
  const {film} = review
  const url = `${options.origin}${paths.review(review.slug)}`
  const filmUrl = `${options.origin}${paths.film(film.slug)}`
  const directors = film.directors ?? []
  const author = review.authorName ?? AUTHOR_FALLBACK

  const facts = [
    directors.length
      ? `<dt>${directors.length === 1 ? 'Director' : 'Directors'}</dt><dd class="directors">${esc(listSentence(directors))}</dd>`
      : '',
    film.genres.length
      ? `<dt>Genres</dt><dd class="genres">${esc(film.genres.map(genreTitle).join(', '))}</dd>`
      : '',
  ].join('')

  const dates = [`Published ${timeHtml(review.publishedOn)}`]
  if (review.updatedOn && review.updatedOn !== review.publishedOn) dates.push(`updated ${timeHtml(review.updatedOn)}`)

  const sections = review.sections
    .map(
      (section) =>
        `<section class="review-section" id="section-${esc(section._key)}">\n<h2>${esc(section.heading)}</h2>\n${richText(section.body)}\n</section>`,
    )
    .join('\n')

  const body = `
<header class="film-header" aria-label="The film">
<p class="eyebrow">${review.kind === 'critic' ? 'Critic review' : 'User review'} of</p>
<p class="film-title"><a href="${esc(paths.film(film.slug))}">${esc(film.title)}</a> <span class="year">(${esc(film.releaseYear)})</span></p>
${facts ? `<dl class="facts">${facts}</dl>` : ''}
${film.logline ? `<p class="logline">${esc(film.logline)}</p>` : ''}
</header>
<article class="review">
<header>
<h1>${esc(review.title)}</h1>
<p class="meta byline">By <span class="author">${esc(author)}</span> · ${dates.join(' · ')}${review.rating !== null ? ` · Rating <strong>${esc(review.rating)}</strong>/10` : ''}</p>
${review.containsSpoilers ? '<p class="warning spoiler-warning" role="note"><strong>Spoiler warning:</strong> this review discusses the plot. Marked spoilers stay hidden until you click them.</p>' : ''}
</header>
<div class="intro">
${richText(review.intro)}
</div>
${sections}
</article>
${renderDiscussion(review, options)}`

  const reviewLd: Record<string, unknown> = {
    '@context': 'https://schema.org',
    '@type': 'Review',
    name: review.title,
    url,
    author: {'@type': 'Person', name: author},
    datePublished: review.publishedOn,
    ...(review.updatedOn ? {dateModified: review.updatedOn} : {}),
    ...(review.rating !== null
      ? {reviewRating: {'@type': 'Rating', ratingValue: review.rating, bestRating: 10, worstRating: 0}}
      : {}),
    itemReviewed: {
      '@type': 'Movie',
      name: film.title,
      url: filmUrl,
      dateCreated: String(film.releaseYear),
      ...(film.logline ? {description: film.logline} : {}),
      genre: film.genres.map(genreTitle),
      ...(directors.length ? {director: oneOrMany(directors.map((name) => ({'@type': 'Person', name})))} : {}),
    },
    commentCount: review.commentCount,
  }

  const intro = portableTextToPlainText(review.intro)
  return {
    html: pageShell({
      title: `${review.title} — ${film.title} (${film.releaseYear}) · Film reviews`,
      description: excerpt(intro, 160),
      canonical: url,
      jsonLd: [reviewLd],
      body,
    }),
  }
}

function renderDiscussion(review: ReviewPage, options: ReviewPageOptions): string {
  const form = options.form
  const thread = review.comments.length
    ? `<ol class="comments">\n${review.comments
        .map((comment) => {
          const replies = comment.replies.length
            ? `<ol class="replies" aria-label="Replies to ${esc(comment.authorName)}">\n${comment.replies
                .map((reply) => `<li>${commentHtml(reply)}</li>`)
                .join('\n')}\n</ol>`
            : ''
          const replyState = form?.parentId === comment._id ? form : undefined
          return `<li>${commentHtml(comment)}\n${replies}\n<details class="reply"${replyState ? ' open' : ''}>
<summary>Reply to ${esc(comment.authorName)}</summary>
${commentForm({slug: review.slug, parentId: comment._id, replyTo: comment.authorName, state: replyState})}
</details></li>`
        })
        .join('\n')}\n</ol>`
    : '<p class="meta">No comments yet. Be the first to share your thoughts.</p>'

  const count = review.commentCount
  return `<section class="discussion" id="discussion" aria-labelledby="discussion-heading">
<h2 id="discussion-heading">Discuss ${esc(review.film.title)} below:</h2>
${options.commentPending ? '<p class="notice" role="status">Thank you! Your comment awaits moderation and will appear here once it is approved.</p>' : ''}
<p class="meta comment-count">${count === 1 ? '1 comment' : `${count} comments`}</p>
${thread}
${commentForm({slug: review.slug, state: form && !form.parentId ? form : undefined})}
</section>`
}

function commentHtml(comment: {_id: string; authorName: string; body: string; createdAt: string}): string {
  return `<article class="comment" id="comment-${esc(comment._id)}">
<p class="comment-meta"><span class="comment-author">${esc(comment.authorName)}</span>${timeHtml(comment.createdAt)}</p>
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

export function renderFilmPage(film: FilmPage, options: {origin: string}): {html: string} {
  const url = `${options.origin}${paths.film(film.slug)}`
  const directors = film.directors ?? []
  const cast = film.cast ?? []
  const crew = film.crew ?? []
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
    film.genres.length ? `<dt>Genres</dt><dd class="genres">${esc(film.genres.map(genreTitle).join(', '))}</dd>` : '',
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
            `<li>${personLink(member)}${member.characterName ? ` <span class="role">as ${esc(member.characterName)}${member.isVoice ? ' (voice)' : ''}</span>` : ''}</li>`,
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
    genre: film.genres.map(genreTitle),
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

export function renderPersonPage(person: PersonPage, options: {origin: string}): {html: string} {
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

export function renderReviewList(
  items: ReviewListItem[],
  options: {origin: string; nextHref: string | undefined; isFirstPage: boolean},
): {html: string} {
  const list = items.length
    ? `<ol class="card-list">\n${items
        .map(
          (item) => `<li class="card">
<p class="eyebrow"><a href="${esc(paths.film(item.film.slug))}">${esc(item.film.title)}</a> (${esc(item.film.releaseYear)})</p>
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
