// HAProxy addresses → lbagent's `host:port`: `ipv4@`/`ipv6@` prefixes dropped, bare IPv6 put in brackets,
// `*` and an empty host for every address; sockets, port offsets and missing ports have no lbagent form.

export type Address = { addr: string } | { left: string };

export function translateAddress(text: string, { listen }: { listen: boolean }): Address {
  let a = text.replace(/^(ipv4|ipv6|tcp|tcp4|tcp6)@/, '');
  if (/^(unix|abns|fd|sockpair|udp|udp4|udp6|quic4|quic6|uxst|uxdg)@/.test(a) || a.startsWith('/')) {
    return { left: `'${text}' is not a TCP address; lbagent listens and connects over TCP only` };
  }
  let host: string;
  let port: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(a);
  if (bracket) {
    host = `[${bracket[1]}]`;
    port = bracket[2];
  } else {
    const colon = a.lastIndexOf(':');
    if (colon < 0) {
      host = a;
      port = undefined;
    } else {
      host = a.slice(0, colon);
      port = a.slice(colon + 1);
      if (host.includes(':')) host = `[${host}]`;
    }
  }
  if (port === undefined || port === '') {
    return { left: listen ? `'${text}' has no port` : `'${text}' has no port (HAProxy then uses the port the client connected to); lbagent needs one` };
  }
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return { left: `port '${port}' of '${text}' is not a single port lbagent can use (offsets and ranges are not supported)` };
  if (host === '' || host === '*' || host === '0.0.0.0' || host === '[::]') host = listen ? '*' : host;
  if (host === '') return { left: `'${text}' has no host` };
  a = `${host}:${port}`;
  return { addr: a };
}
