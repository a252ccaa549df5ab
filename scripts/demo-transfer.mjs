// The demo's TCP transfer: `server` (in the inner host) sends the SHA-256 of 8 MiB of random bytes, then the
// bytes; `client HOST` receives them through the tunnel and checks the digest.
import { createHash, randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';

const SIZE = 8 << 20;
const [mode, host] = process.argv.slice(2);

if (mode === 'server') {
  const data = randomBytes(SIZE);
  const digest = createHash('sha256').update(data).digest();
  const server = createServer((sock) => {
    sock.end(Buffer.concat([digest, data]));
    sock.on('close', () => server.close());
  });
  server.listen(5001, '0.0.0.0');
} else if (mode === 'client' && host) {
  const started = Date.now();
  const chunks = [];
  const sock = createConnection(5001, host);
  sock.on('data', (c) => chunks.push(c));
  sock.on('end', () => {
    const all = Buffer.concat(chunks);
    const expected = all.subarray(0, 32);
    const data = all.subarray(32);
    const actual = createHash('sha256').update(data).digest();
    const seconds = (Date.now() - started) / 1000;
    const ok = data.length === SIZE && actual.equals(expected);
    console.log(`${(data.length / 1048576).toFixed(1)} MiB received over TCP in ${seconds.toFixed(2)} s; sha256 ${ok ? 'matches' : 'DIFFERS'} (${actual.toString('hex').slice(0, 16)}...)`);
    process.exit(ok ? 0 : 1);
  });
  sock.on('error', (err) => {
    console.error(`transfer failed: ${err.message}`);
    process.exit(1);
  });
} else {
  console.error('usage: demo-transfer.mjs server | client HOST');
  process.exit(2);
}
