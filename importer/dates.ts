import {ImportError} from './errors'

const MONTHS: Record<string, number> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5,
  jun: 6, june: 6, jul: 7, july: 7, aug: 8, august: 8, sep: 9, sept: 9, september: 9,
  oct: 10, october: 10, nov: 11, november: 11, dec: 12, december: 12,
}

/** The date forms the importer reads, as the error message lists them. */
export const DATE_FORMS = '"Aug 8, 2014", "August 8, 2014", "8 August 2014" or "2014-08-08"'

// "Aug 8, 2014", "August 8 2014", "dec. 31, 1999"
const MONTH_FIRST = /^(\p{L}+)\.?\s+(\d{1,2}),?\s+(\d{4})$/u
// "8 August 2014", "8. Aug 2014"
const DAY_FIRST = /^(\d{1,2})\.?\s+(\p{L}+)\.?,?\s+(\d{4})$/u
const ISO = /^(\d{4})-(\d{2})-(\d{2})$/

/**
 * Reads a date in the site's format ("Aug 8, 2014"), with the month in full, day first,
 * or as an ISO date, and returns it as ISO `YYYY-MM-DD`. Numeric forms such as
 * "08/09/2014" are refused: day and month order cannot be told apart. `where`
 * completes the error message ("in the Published line").
 */
export function parseDate(value: string, where: string, fileName: string, line: number): string {
  const text = value.trim()
  let parts: {year: number; month: number | undefined; day: number} | undefined
  const iso = ISO.exec(text)
  const monthFirst = MONTH_FIRST.exec(text)
  const dayFirst = DAY_FIRST.exec(text)
  if (iso) {
    parts = {year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3])}
  } else if (monthFirst) {
    parts = {year: Number(monthFirst[3]), month: MONTHS[monthFirst[1]!.toLowerCase()], day: Number(monthFirst[2])}
  } else if (dayFirst) {
    parts = {year: Number(dayFirst[3]), month: MONTHS[dayFirst[2]!.toLowerCase()], day: Number(dayFirst[1])}
  }
  if (!parts || parts.month === undefined) {
    throw new ImportError(`unreadable date "${text}" in ${where} (expected e.g. ${DATE_FORMS})`, {fileName, line})
  }
  const {year, month, day} = parts
  // Day 0 of the next month is the last day of this one (leap years included).
  const daysInMonth = month >= 1 && month <= 12 ? new Date(Date.UTC(year, month, 0)).getUTCDate() : 0
  if (day < 1 || day > daysInMonth) {
    throw new ImportError(`impossible date "${text}" in ${where}`, {fileName, line})
  }
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}
