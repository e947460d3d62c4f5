/**
 * Typed GROQ queries for every page of a film-review site. Each page is one
 * round trip and projects only what the page shows. Sanity TypeGen names the
 * results `<Name>Result` in `sanity.types.ts`; parameters are validated by the
 * schemas in `./params` (see `fetchTyped`).
 */
import {defineQuery} from 'groq'

// Fragments: small projections shared by several queries.

const slugField = /* groq */ `"slug": slug.current`

const personLink = /* groq */ `{"name": person->name, "slug": person->slug.current}`

/** Mentions resolve to what a link needs: type, name (people) or title (films), slug. */
const portableText = /* groq */ `{
  ...,
  markDefs[]{
    ...,
    _type == "mention" => {
      "target": reference->{
        _type,
        ${slugField},
        _type == "person" => {name},
        _type == "film" => {title}
      }
    }
  }
}`

/** First characters of the intro, as plain text for list and card excerpts ("" without an intro). */
const introExcerpt = /* groq */ `coalesce(array::join(string::split(pt::text(intro[0...2]), "")[0...280], ""), "")`

const reviewCard = /* groq */ `{
  _id,
  title,
  ${slugField},
  "authorName": author.name,
  publishedOn,
  "containsSpoilers": coalesce(containsSpoilers, false),
  "excerpt": ${introExcerpt}
}`

/**
 * Every approved comment of the review (`^`), flat and oldest first; `commentThreads` (./threads)
 * nests them by `parentId`, at any depth. Public ids only (`path("*")`): a client with a token
 * also reads the private, unmoderated ones, and they must never reach a page.
 */
const approvedComments = /* groq */ `*[
  _type == "comment" && review._ref == ^._id && status == "approved" && _id in path("*")
] | order(createdAt asc, _id asc){_id, authorName, body, createdAt, "parentId": parent._ref}`

/**
 * What a frontend needs to show an image field: the asset reference, the editor's crop and
 * hotspot (for `@sanity/image-url`), the alt text, the original's size and its LQIP placeholder.
 * An image field without an uploaded asset comes back as null.
 */
const imageFields = /* groq */ `{
  asset,
  crop,
  hotspot,
  alt,
  "dimensions": asset->metadata.dimensions{width, height, aspectRatio},
  "lqip": asset->metadata.lqip
}`

// Page queries.

export const filmPageQuery = defineQuery(`*[_type == "film" && slug.current == $slug][0]{
  _id,
  title,
  originalTitle,
  ${slugField},
  releaseYear,
  productionYear,
  logline,
  genres,
  runtimeMinutes,
  "countries": coalesce(countries, []),
  "languages": coalesce(languages, []),
  "poster": select(defined(poster.asset) => poster${imageFields}, null),
  "directors": crew[job == "director"]${personLink},
  "crew": crew[job != "director"]{job, ...${personLink}},
  "cast": cast[]{
    ...${personLink},
    "portrait": select(defined(person->image.asset) => person->image${imageFields}, null),
    characterName,
    "isVoice": coalesce(isVoice, false)
  },
  "reviews": *[_type == "review" && film._ref == ^._id] | order(publishedOn desc, _id desc)${reviewCard}
}`)

export const reviewPageQuery = defineQuery(`*[_type == "review" && slug.current == $slug && _id in path("*")][0]{
  _id,
  title,
  ${slugField},
  kind,
  "authorName": author.name,
  publishedOn,
  updatedOn,
  "containsSpoilers": coalesce(containsSpoilers, false),
  rating,
  "intro": intro[]${portableText},
  "sections": sections[]{_key, heading, "body": body[]${portableText}},
  "film": film->{
    _id,
    title,
    releaseYear,
    ${slugField},
    logline,
    genres,
    "poster": select(defined(poster.asset) => poster${imageFields}, null),
    "directors": crew[job == "director"].person->name
  },
  "comments": ${approvedComments}
}`)

/**
 * Newest first, keyset-paginated: pass the last item's `{publishedOn, _id}` as
 * `$after` for the next page (`null` for the first), never an offset.
 */
export const reviewListQuery = defineQuery(`*[
  _type == "review" && _id in path("*") && (
    $after == null
    || publishedOn < $after.publishedOn
    || (publishedOn == $after.publishedOn && _id < $after._id)
  )
] | order(publishedOn desc, _id desc)[0...$limit]{
  ...${reviewCard},
  "film": film->{
    title,
    releaseYear,
    ${slugField},
    "poster": select(defined(poster.asset) => poster${imageFields}, null)
  }
}`)

export const personPageQuery = defineQuery(`*[_type == "person" && slug.current == $slug][0]{
  _id,
  name,
  ${slugField},
  aliases,
  bio,
  "image": select(defined(image.asset) => image${imageFields}, null),
  "credits": *[_type == "film" && references(^._id)] | order(releaseYear desc, title asc){
    _id,
    title,
    releaseYear,
    ${slugField},
    "roles": cast[person._ref == ^.^._id]{characterName, "isVoice": coalesce(isVoice, false)},
    "jobs": crew[person._ref == ^.^._id].job
  }
}`)

/** `$term` is matched word by word, each word as a prefix ("Phoe" finds Phoenix). */
export const searchQuery = defineQuery(`*[
  _type in ["film", "person", "review"] && (
    title match ($term + "*")
    || name match ($term + "*")
    || aliases[] match ($term + "*")
    || pt::text(intro) match ($term + "*")
    || pt::text(sections[].body[]) match ($term + "*")
  )
] | order(_type asc, coalesce(title, name) asc)[0...20]{
  _id,
  _type,
  "title": coalesce(title, name),
  ${slugField}
}`)

export {commentThreads, MAX_THREAD_DEPTH, type CommentThread, type ThreadableComment} from './threads'
