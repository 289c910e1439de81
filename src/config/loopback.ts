// Whether an address only this host can reach: decides which listeners need a secret or a warning.

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
