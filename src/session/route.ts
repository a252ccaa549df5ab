/**
 * Our source address towards the gateway, as the kernel would choose it (needed for NAT-D hashes and the
 * raw ESP outer header when --local-addr is 0.0.0.0): a connected UDP socket reports it; nothing is sent.
 */
import { createSocket } from 'node:dgram';
import { SystemError } from '../errors.js';

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
