#!/usr/bin/env node
/**
 * ESP micro-benchmark: encapsulate / decapsulate throughput of src/esp on one core, no sockets.
 *
 *   node bench/esp.bench.mjs [seconds-per-case]      (default 1)
 *
 * No build step: the ESP sources (src/esp, src/crypto/esp-*, src/errors.ts) are transpiled with the project's
 * TypeScript into a temporary directory and imported from there, so the figures are for the code in the tree.
 * AES-CBC and AES-GCM SAs use the addon's native seal/open when build/Release/packet_io.node has it (the first
 * line says which); `VPNC_TS_NO_NATIVE_CRYPTO=1 node bench/esp.bench.mjs` measures the node:crypto path.
 *
 * Method: one SA pair per suite; for each inner size the same pooled-style buffer is reused.
 *  - encap: the inner packet stays in the buffer at ESP_HEADROOM (encryption in place leaves ciphertext there,
 *    which costs the same to encrypt again); only its first byte is reset so the IPv4 version nibble is seen.
 *  - decap: a pristine ESP packet is copied back into the buffer and the replay window reset before each call
 *    (a ~1.5 KB memcpy and a 128-byte fill, small next to the crypto), since decapsulation is in place.
 * MB/s counts inner (plaintext) bytes, 10^6 bytes per MB.
 */
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createCipheriv, createHmac } from 'node:crypto';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const seconds = Number(process.argv[2] ?? 1);

/** Transpile the ESP sources into a temp dir (ESM, same layout) and return its src/ URL. */
function buildEspSources() {
  const out = mkdtempSync(join(tmpdir(), 'esp-bench-'));
  const files = [
    'src/errors.ts',
    ...readdirSync(join(root, 'src/esp')).filter((f) => f.endsWith('.ts')).map((f) => `src/esp/${f}`),
    ...readdirSync(join(root, 'src/crypto'))
      .filter((f) => f.startsWith('esp-') && f.endsWith('.ts'))
      .map((f) => `src/crypto/${f}`),
  ];
  for (const f of files) {
    const { outputText } = ts.transpileModule(readFileSync(join(root, f), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: f,
    });
    const dest = join(out, f.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, outputText);
  }
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  // src/crypto/esp-native.ts loads ../../build/Release/packet_io.node: the tree's own addon.
  symlinkSync(join(root, 'build'), join(out, 'build'));
  return out;
}

const tmp = buildEspSources();
try {
  const esp = join(tmp, 'src/esp');
  const load = (f) => import(pathToFileURL(join(esp, f)).href);
  const { ESP_HEADROOM, ESP_BUFFER_SIZE, EspStatus } = await load('constants.js');
  const { createPacketSpan, decapsulate, encapsulate } = await load('packet.js');
  const { EspSa } = await load('sa.js');
  const { resolveEspSuite, EspTransformId, AuthAlgorithm } = await load('transforms.js');
  const { nativeCryptoDisabled, nativeEspCryptoVersion } = await import(
    pathToFileURL(join(tmp, 'src/crypto/esp-native.js')).href
  );
  const nativeVersion = nativeCryptoDisabled() ? null : nativeEspCryptoVersion();

  const suites = [
    ['aes128-cbc+sha1', EspTransformId.AES, 128, AuthAlgorithm.HMAC_SHA],
    ['aes256-cbc+sha1', EspTransformId.AES, 256, AuthAlgorithm.HMAC_SHA],
    ['aes-gcm-128', EspTransformId.AES_GCM_16, 128, AuthAlgorithm.NONE],
    ['aes-gcm-256', EspTransformId.AES_GCM_16, 256, AuthAlgorithm.NONE],
  ];
  const sizes = [64, 512, 1400];

  /** Run `fn` for about `seconds` (after a warm-up); return calls per second. */
  function rate(fn) {
    for (let i = 0; i < 2000; i++) fn();
    let n = 0;
    const start = process.hrtime.bigint();
    const limit = BigInt(Math.round(seconds * 1e9));
    let elapsed = 0n;
    while (elapsed < limit) {
      for (let i = 0; i < 1000; i++) fn();
      n += 1000;
      elapsed = process.hrtime.bigint() - start;
    }
    return n / (Number(elapsed) / 1e9);
  }

  const fmt = (x, w) => x.toFixed(0).padStart(w);
  console.log(`node ${process.version}, ${seconds}s per case, AES crypto: ${nativeVersion === null ? 'node:crypto' : `native (${nativeVersion})`}`);
  console.log('suite              size   encap pkt/s  encap MB/s   decap pkt/s  decap MB/s');
  for (const [name, id, bits, auth] of suites) {
    const suite = resolveEspSuite(id, bits, auth);
    const keymat = Buffer.alloc(suite.keymatLength, 0x5a);
    for (const size of sizes) {
      const tx = EspSa.fromKeymat(0x1001, suite, keymat);
      const rx = EspSa.fromKeymat(0x1001, suite, keymat);
      const span = createPacketSpan();
      const buf = Buffer.alloc(ESP_BUFFER_SIZE, 0x33);
      buf[ESP_HEADROOM] = 0x45;

      const encap = rate(() => {
        buf[ESP_HEADROOM] = 0x45;
        if (encapsulate(tx, buf, ESP_HEADROOM, size, span) !== EspStatus.OK) throw new Error('encap failed');
      });

      buf.fill(0x33);
      buf[ESP_HEADROOM] = 0x45;
      encapsulate(tx, buf, ESP_HEADROOM, size, span);
      const off = span.offset;
      const len = span.length;
      const pristine = Buffer.from(buf.subarray(off, off + len));
      const decap = rate(() => {
        pristine.copy(buf, off);
        rx.replay.reset();
        if (decapsulate(rx, buf, off, len, span) !== EspStatus.OK) throw new Error('decap failed');
      });
      console.log(
        `${name.padEnd(17)} ${String(size).padStart(5)} ${fmt(encap, 13)} ${fmt((encap * size) / 1e6, 11)}` +
          ` ${fmt(decap, 13)} ${fmt((decap * size) / 1e6, 11)}`,
      );
    }
  }

  // What one packet costs node:crypto alone: the floor under the figures above.
  console.log('\nnode:crypto per call (objects created per packet, except the running CBC context the SAs now keep)');
  console.log('primitive                         size        calls/s');
  const key16 = Buffer.alloc(16, 1);
  const key20 = Buffer.alloc(20, 2);
  const iv16 = Buffer.alloc(16, 3);
  const nonce = Buffer.alloc(12, 4);
  const aad = Buffer.alloc(8, 5);
  const gcmOptions = { authTagLength: 16 };
  const running = createCipheriv('aes-128-cbc', key16, iv16);
  running.setAutoPadding(false);
  for (const size of [64, 1400]) {
    const data = Buffer.alloc(size, 6);
    const prims = [
      ['running aes-128-cbc update', () => running.update(data)],
      ['createCipheriv aes-128-cbc+update', () => {
        const c = createCipheriv('aes-128-cbc', key16, iv16);
        c.setAutoPadding(false);
        c.update(data);
      }],
      ['createHmac sha1+digest', () => createHmac('sha1', key20).update(data).digest()],
      ['aes-128-gcm seal (aad, tag)', () => {
        const c = createCipheriv('aes-128-gcm', key16, nonce, gcmOptions);
        c.setAAD(aad);
        c.update(data);
        c.final();
        c.getAuthTag();
      }],
    ];
    for (const [label, fn] of prims) console.log(`${label.padEnd(33)} ${String(size).padStart(4)} ${fmt(rate(fn), 14)}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
