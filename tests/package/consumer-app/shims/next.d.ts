// The part of Next.js' API the README's page uses (`next` is not installable offline here).
declare module 'next/navigation' {
  export function notFound(): never
}
