/**
 * Watches the kernel for changes that can move our path to the gateway: links, IPv4 addresses and IPv4 routes
 * (a NETLINK_ROUTE socket subscribed to those groups). Notifications are counted, not parsed: the session
 * looks at the route to the gateway itself when told that something changed.
 */
import { receiveShape } from './endpoint.js';
import { routeMonitorOpenError } from './errors.js';
import { loadBinding } from './native.js';
import { NativePacketEndpoint } from './native-endpoint.js';

export interface RouteMonitor {
  close(): void;
}

/**
 * Calls `onChange` after every batch of kernel notifications until close(). Throws SystemError VPNC_ERR_IO
 * when the socket cannot be opened; `onError` hears of a receive failure (the monitor then stops).
 */
export function watchRoutes(onChange: () => void, options: { netns?: string; onError?: (err: Error) => void } = {}): RouteMonitor {
  let opened: ReturnType<ReturnType<typeof loadBinding>['openRouteMonitor']>;
  try {
    opened = loadBinding().openRouteMonitor({ netns: options.netns ?? '' });
  } catch (err) {
    throw routeMonitorOpenError(err, options.netns);
  }
  const endpoint = new NativePacketEndpoint(opened.endpoint, 'netlink', 'route monitor', receiveShape({ batchSize: 8, slotSize: 8192 }));
  endpoint.start(() => onChange(), (err) => options.onError?.(err));
  // A watcher alone must not keep the process alive.
  endpoint.unref();
  return { close: () => endpoint.close() };
}
