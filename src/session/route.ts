/** Where the gateway is, and which of our addresses talks to it. */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { ConfigError, ProtocolError, SystemError } from '../errors.js';
import { isIpv4 } from '../wire/ipv4-text.js';

/** The gateway's IPv4 address (vpnc resolves the name once, IPv4 only). */
export async function resolveGateway(name: string): Promise<string> {
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
