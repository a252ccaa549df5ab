/**
 * The service manager's notify protocol (sd_notify(3)): newline-separated VAR=value assignments in one datagram
 * to the AF_UNIX socket named by NOTIFY_SOCKET (a path, or `@name` for an abstract socket). Without
 * NOTIFY_SOCKET nothing is sent. A failure to send is reported to the caller, never thrown: the tunnel does not
 * depend on it.
 */
import { loadBinding } from './native.js';

export type ServiceNotifier = (assignments: readonly string[]) => void;

/** A notifier for `env`'s NOTIFY_SOCKET; `onError` hears why a message could not be sent. */
export function serviceNotifier(env: NodeJS.ProcessEnv, onError: (message: string) => void): ServiceNotifier {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return () => {};
  return (assignments) => {
    // One assignment per line; a value cannot hold a newline (it would start another assignment).
    const text = assignments.map((a) => a.replace(/\n/g, ' ')).join('\n');
    try {
      loadBinding().sendUnixDatagram(socket, Buffer.from(text, 'utf8'));
    } catch (err) {
      onError(`could not tell the service manager (${socket}): ${(err as Error).message}`);
    }
  };
}
