// A DNS responder for tests: answers every A query for any name with one address (TTL 0) and every other type
// with no answer, and prints "query NAME TYPE" for each query it gets. Usage: node dns-responder.mjs ADDR ANSWER
import { createSocket } from 'node:dgram';

const [address, answer] = process.argv.slice(2);
const socket = createSocket('udp4');

function readName(msg, offset) {
  const labels = [];
  for (let o = offset; o < msg.length; ) {
    const len = msg[o];
    if (len === 0) return { name: labels.join('.'), end: o + 1 };
    if (len > 63) return undefined;
    labels.push(msg.subarray(o + 1, o + 1 + len).toString('latin1'));
    o += 1 + len;
  }
  return undefined;
}

socket.on('message', (msg, rinfo) => {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return;
  const q = readName(msg, 12);
  if (!q || q.end + 4 > msg.length) return;
  const type = msg.readUInt16BE(q.end);
  process.stdout.write(`query ${q.name.toLowerCase()} ${type}\n`);
  const question = msg.subarray(12, q.end + 4);
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8180 | (msg.readUInt16BE(2) & 0x0100), 2);
  header.writeUInt16BE(1, 4);
  const parts = [header, question];
  if (type === 1) {
    header.writeUInt16BE(1, 6);
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(0, 6);
    rr.writeUInt16BE(4, 10);
    answer.split('.').forEach((b, i) => (rr[12 + i] = Number(b)));
    parts.push(rr);
  }
  socket.send(Buffer.concat(parts), rinfo.port, rinfo.address);
});
socket.bind(53, address, () => process.stdout.write('listening\n'));
