/**
 * Option lists shared by the schemas (lists, validation, previews), the importer
 * and the queries. Values are stored; titles are shown to editors and readers.
 */

export const GENRES = [
  {title: 'Action', value: 'action'},
  {title: 'Adventure', value: 'adventure'},
  {title: 'Animation', value: 'animation'},
  {title: 'Biography', value: 'biography'},
  {title: 'Comedy', value: 'comedy'},
  {title: 'Crime', value: 'crime'},
  {title: 'Documentary', value: 'documentary'},
  {title: 'Drama', value: 'drama'},
  {title: 'Family', value: 'family'},
  {title: 'Fantasy', value: 'fantasy'},
  {title: 'History', value: 'history'},
  {title: 'Horror', value: 'horror'},
  {title: 'Music', value: 'music'},
  {title: 'Musical', value: 'musical'},
  {title: 'Mystery', value: 'mystery'},
  {title: 'Romance', value: 'romance'},
  {title: 'Science Fiction', value: 'science-fiction'},
  {title: 'Thriller', value: 'thriller'},
  {title: 'War', value: 'war'},
  {title: 'Western', value: 'western'},
] as const

export type Genre = (typeof GENRES)[number]['value']

export const CREW_JOBS = [
  {title: 'Director', value: 'director'},
  {title: 'Writer', value: 'writer'},
  {title: 'Producer', value: 'producer'},
  {title: 'Executive Producer', value: 'executive-producer'},
  {title: 'Cinematographer', value: 'cinematographer'},
  {title: 'Composer', value: 'composer'},
  {title: 'Editor', value: 'editor'},
  {title: 'Production Designer', value: 'production-designer'},
  {title: 'Costume Designer', value: 'costume-designer'},
  {title: 'Casting Director', value: 'casting-director'},
] as const

export type CrewJob = (typeof CREW_JOBS)[number]['value']

export const REVIEW_KINDS = [
  {title: 'User review', value: 'user'},
  {title: 'Critic review', value: 'critic'},
] as const

export type ReviewKind = (typeof REVIEW_KINDS)[number]['value']

export const COMMENT_STATUSES = [
  {title: 'Pending', value: 'pending'},
  {title: 'Approved', value: 'approved'},
  {title: 'Rejected', value: 'rejected'},
  {title: 'Spam', value: 'spam'},
] as const

export type CommentStatus = (typeof COMMENT_STATUSES)[number]['value']

/** Schemes a `link` annotation may use; anything else (javascript:, data:) is refused. */
export const LINK_SCHEMES = ['http', 'https', 'mailto'] as const

/** Earliest possible film year (Roundhay Garden Scene). */
export const FIRST_FILM_YEAR = 1888

export function titleOf<T extends {title: string; value: string}>(
  list: readonly T[],
  value: string | undefined,
): string | undefined {
  return list.find((item) => item.value === value)?.title
}
