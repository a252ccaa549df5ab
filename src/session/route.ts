/** Where the gateway is, and which of our addresses talks to it. */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { ConfigError, ProtocolError, SystemError } from '../errors.js';
import { ipv4Problem, isIpv4, isNumericHost } from '../wire/ipv4-text.js';

/**
 * The gateway's IPv4 address (vpnc resolves the name once, IPv4 only). A number that is not a strict dotted
 * quad ("010.0.0.1") is refused, not resolved: getaddrinfo would read it as inet_aton does (8.0.0.1).
 */
export async function resolveGateway(name: string): Promise<string> {
  if (isNumericHost(name) && !isIpv4(name)) throw new ProtocolError(`the gateway '${name}' is neither a host name nor an IPv4 address (${ipv4Problem(name)})`);
  try {
    return (await lookup(name, { family: 4 })).address;
  } catch {
    throw new ProtocolError(`unknown host '${name}': cannot resolve the gateway's address`);
  }
}

/**
 * The address --local-addr names, as an IPv4 literal (vpnc resolves a host name there too). 0.0.0.0 stays as
 * it is: the kernel picks the source address.
 */
export async function resolveLocalAddress(name: string): Promise<string> {
  if (isIpv4(name)) return name;
  if (isNumericHost(name)) throw new ConfigError(`--local-addr '${name}' is neither a host name nor an IPv4 address (${ipv4Problem(name)})`);
  try {
    return (await lookup(name, { family: 4 })).address;
  } catch {
    throw new ConfigError(`--local-addr '${name}': cannot resolve this host name to an IPv4 address`);
  }
}

/**
 * Our source address towards the gateway, as the kernel would choose it (needed for NAT-D hashes and the
 * raw ESP outer header when --local-addr is 0.0.0.0): a connected UDP socket reports it; nothing is sent.
 */
export function localAddressFor(gateway: string, port = 500): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', (err) => {
      s.close();
      reject(new SystemError('VPNC_ERR_NO_ROUTE', `no route to the gateway ${gateway}: ${err.message}`, (err as NodeJS.ErrnoException).code));
    });
    s.connect(port, gateway, () => {
      const { address } = s.address();
      s.close();
      resolve(address);
    });
  });
}
