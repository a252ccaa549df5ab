/**
 * The path MTU the kernel knows towards an address (the route's MTU, lowered by what "fragmentation needed"
 * taught it) and setting a device's MTU, through the addon, optionally inside a network namespace.
 */
import { SystemError } from '../errors.js';
import { IoErrorCode, isNativeError } from './errors.js';
import { parseIpv4 } from '../wire/ipv4-text.js';
import { loadBinding } from './native.js';

function wrapped(err: unknown, what: string): unknown {
  return isNativeError(err) ? new SystemError(IoErrorCode.io, `${what}: ${err.message} (${err.code})`, err.code, { cause: err }) : err;
}

/** The MTU of the path towards `address` (dotted quad). Throws SystemError VPNC_ERR_IO (e.g. no route). */
export function pathMtu(address: string, netns?: string): number {
  try {
    return loadBinding().pathMtu(parseIpv4(address), netns ?? '');
  } catch (err) {
    throw wrapped(err, `cannot learn the path MTU towards ${address}`);
  }
}

/** Sets the MTU of device `name`. Throws SystemError VPNC_ERR_IO. */
export function setLinkMtu(name: string, mtu: number, netns?: string): void {
  try {
    loadBinding().setLinkMtu(name, mtu, netns ?? '');
  } catch (err) {
    throw wrapped(err, `cannot set the MTU of ${name} to ${mtu}`);
  }
}
