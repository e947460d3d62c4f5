/**
 * The socket address of a request, recorded by the Node adapter. A side table instead of a header:
 * headers come from the client and could be forged, and the handler keeps its Fetch signature.
 */
const addresses = new WeakMap<Request, string>()

export function recordClientAddress(request: Request, address: string | undefined): void {
  if (address) addresses.set(request, address)
}

/** The address the Node adapter saw for `request`, if it came through the adapter. */
export function clientAddressOf(request: Request): string | undefined {
  return addresses.get(request)
}
