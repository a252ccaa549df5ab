/**
 * TUN and TAP devices (vpnc's --ifmode and --ifname). A TUN device carries bare IPv4 packets (IFF_TUN,
 * IFF_NO_PI); a TAP device carries Ethernet frames. Closing the endpoint removes the device.
 * Bringing the link up and giving it addresses is the route script's job, not this layer's.
 */
import { receiveShape, type ReceiveOptions } from './endpoint.js';
import { tunOpenError } from './errors.js';
import { loadBinding, type NativeEndpoint } from './native.js';
import { NativePacketEndpoint } from './native-endpoint.js';

/** Options of openTun. */
export interface TunOptions {
  /** `tun` (layer 3, the default) or `tap` (layer 2). */
  mode?: 'tun' | 'tap';
  /** Requested name: exact (`vpn0`) or a pattern (`tun%d`); empty lets the kernel choose. At most 15 bytes. */
  name?: string;
  /**
   * Network namespace to create the device in: a name under /run/netns (from `ip netns add`) or a path
   * such as /proc/PID/ns/net. The calling thread enters it only for the duration of the open.
   */
  netns?: string;
  /** Receive arena shape; the slot size bounds the largest packet (default 4096). */
  receive?: ReceiveOptions;
  /** The clone device (default /dev/net/tun). */
  devicePath?: string;
  /**
   * Leave the descriptor blocking. Such a device cannot be started: it exists only so that benchmarks can
   * compare against `fs.read` on `fd`.
   */
  blocking?: boolean;
}

/** Interface facts reported by the kernel when the device was created. */
export interface TunInfo {
  /** Interface name the kernel gave (e.g. `tun0`). */
  readonly name: string;
  /** Interface index in its namespace. */
  readonly ifindex: number;
  /** Hardware address of a TAP device; undefined for TUN. */
  readonly mac: Buffer | undefined;
}

/** An open TUN or TAP device. */
export class TunDevice extends NativePacketEndpoint implements TunInfo {
  readonly name: string;
  readonly ifindex: number;
  readonly mac: Buffer | undefined;

  constructor(handle: NativeEndpoint, mode: 'tun' | 'tap', receive: Required<ReceiveOptions>, info: TunInfo) {
    super(handle, mode, `${mode} device ${info.name}`, receive);
    this.name = info.name;
    this.ifindex = info.ifindex;
    this.mac = info.mac;
  }
}

/** Opens a TUN (default) or TAP device. Throws SystemError VPNC_ERR_TUN_OPEN with a hint. */
export function openTun(options: TunOptions = {}): TunDevice {
  const mode = options.mode ?? 'tun';
  const receive = receiveShape(options.receive);
  const devicePath = options.devicePath ?? '/dev/net/tun';
  const requested = options.name ?? '';
  if (Buffer.byteLength(requested) > 15) throw new RangeError(`interface name "${requested}" is longer than 15 bytes`);
  const binding = loadBinding();
  let opened: ReturnType<typeof binding.openTun>;
  try {
    opened = binding.openTun({
      name: requested,
      tap: mode === 'tap',
      netns: options.netns ?? '',
      devicePath,
      blocking: options.blocking ?? false,
    });
  } catch (err) {
    const where = options.netns === undefined ? '' : ` in network namespace ${options.netns}`;
    throw tunOpenError(err, { what: `${mode} device "${requested || `${mode}%d`}"${where}`, netns: options.netns, devicePath });
  }
  return new TunDevice(opened.endpoint, mode, receive, {
    name: opened.name,
    ifindex: opened.ifindex,
    mac: opened.mac ?? undefined,
  });
}
