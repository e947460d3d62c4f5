import {blockContent} from './blockContent'
import {castMember} from './castMember'
import {comment} from './comment'
import {crewMember} from './crewMember'
import {film} from './film'
import {person} from './person'
import {review} from './review'
import {reviewSection} from './reviewSection'

export const schemaTypes = [
  // Documents
  film,
  person,
  review,
  comment,
  // Objects
  castMember,
  crewMember,
  reviewSection,
  blockContent,
]

export * from './constants'
