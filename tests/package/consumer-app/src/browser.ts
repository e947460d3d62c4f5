// A browser page: reads the review named in the URL from the lake named in the URL.
import {createClient} from '@sanity/client'
import {clientConfig, fetchTyped, portableTextToHtml, resolveTarget, reviewPageQuery} from 'film-review-sanity'

const url = new URL(window.location.href)
const client = createClient(clientConfig(resolveTarget({SANITY_API_HOST: url.searchParams.get('lake') ?? undefined, SANITY_DATASET: 'test'})))

async function render(): Promise<void> {
  const review = await fetchTyped(client, reviewPageQuery, {slug: url.searchParams.get('slug') ?? ''})
  const app = document.querySelector('#app')
  if (!app) throw new Error('#app is missing')
  if (!review) {
    app.textContent = 'Not found'
    return
  }
  const heading = document.createElement('h1')
  heading.textContent = review.title
  app.replaceChildren(heading)
  for (const section of review.sections) {
    const element = document.createElement('section')
    const title = document.createElement('h2')
    title.textContent = section.heading
    const body = document.createElement('div')
    body.innerHTML = portableTextToHtml(section.body)
    element.append(title, body)
    app.append(element)
  }
  document.body.dataset.state = 'done'
}

render().catch((error: unknown) => {
  document.body.dataset.state = 'failed'
  document.body.append(String(error))
})
