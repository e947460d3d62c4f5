// Plain Node, no TypeScript and no bundler: the frontend entry, against the lake that
// SANITY_API_HOST / SANITY_DATASET name. Prints what it read as JSON.
import {createClient} from '@sanity/client'
import {clientConfig, fetchTyped, portableTextToPlainText, QueryParamsError, reviewPageQuery} from 'film-review-sanity'
import {filmPageQuery} from 'film-review-sanity/queries'
import {excerpt} from 'film-review-sanity/portable-text'
import {apiVersion} from 'film-review-sanity/client'
import {createCommentHandler} from 'film-review-sanity/comments'

const client = createClient(clientConfig())
const review = await fetchTyped(client, reviewPageQuery, {slug: process.argv[2]})
const film = await fetchTyped(client, filmPageQuery, {slug: 'her-2013'})

let wrongParam
try {
  await fetchTyped(client, reviewPageQuery, {slug: 3})
} catch (error) {
  wrongParam = error instanceof QueryParamsError ? error.message : `not a QueryParamsError: ${error}`
}

console.log(
  JSON.stringify({
    node: process.versions.node.split('.')[0],
    apiVersion,
    title: review?.title,
    film: review?.film.title,
    directors: review?.film.directors,
    headings: review?.sections.map((section) => section.heading),
    firstSection: excerpt(portableTextToPlainText(review?.sections[0]?.body), 40),
    filmReviews: film?.reviews.map((item) => item.slug),
    wrongParam,
    commentHandler: typeof createCommentHandler({client}),
  }),
)
