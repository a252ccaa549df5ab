#!/usr/bin/env python3
"""Captures a real peer's key material: Debian's vpnc as initiator against a minimal aggressive-mode responder
written here (python hashlib/hmac, pyca/cryptography for CBC), and writes keys-vpnc-am.json for the unit tests.

Needs root (vpnc opens a TUN device) and runs everything in a private network namespace:

  unshare --net python3 test/vectors/keys-vpnc-capture.py

For each transform choice the responder answers vpnc's AM1 with an AM2 (SA with the chosen transform, KE,
nonce, ID, HASH_R). vpnc checks HASH_R, derives its keys and sends AM3 encrypted; the script records AM1's
fields, our DH values and AM3's bytes, plus the key material vpnc prints at --debug 99, then stops
vpnc (only the process it started). The TypeScript test recomputes the keys, decrypts AM3 with them and
checks vpnc's HASH_I. The responder then sends an XAUTH request under a new message id (phase-2 IV rule)
and records vpnc's encrypted reply (chained IV, HASH(1) with SKEYID_a).
"""
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import warnings

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = os.path.dirname(os.path.abspath(__file__))
VPNC = "/usr/sbin/vpnc"
PSK = b"vpnc kat group secret"
PID_FILE = os.path.join(tempfile.gettempdir(), "vpnc-kat.pid")

# RFC 2409 group 2 prime.
P1024 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)

# (name, IKE encryption id, key length bits or None, IKE hash id, hash name, extra vpnc flags)
CHOICES = [
    ("vpnc-aes256-sha1", 7, 256, 2, "sha1", []),
    ("vpnc-aes128-md5", 7, 128, 1, "md5", ["--enable-weak-authentication"]),
    ("vpnc-3des-sha1", 5, None, 2, "sha1", ["--enable-weak-encryption"]),
]
AUTH_XAUTH_PSK = 65001


def payloads(data, first, offset):
    """Yields (type, body) of a payload chain."""
    kind = first
    while kind != 0:
        nxt, length = data[offset], int.from_bytes(data[offset + 2:offset + 4], "big")
        yield kind, data[offset + 4:offset + length]
        kind, offset = nxt, offset + length


def attributes(data):
    out, i = {}, 0
    while i < len(data):
        kind = int.from_bytes(data[i:i + 2], "big")
        if kind & 0x8000:
            out[kind & 0x7FFF] = int.from_bytes(data[i + 2:i + 4], "big")
            i += 4
        else:
            length = int.from_bytes(data[i + 2:i + 4], "big")
            out[kind] = int.from_bytes(data[i + 4:i + 4 + length], "big")
            i += 4 + length
    return out


def pick_transform(sa_body, enc, key_bits, hash_id):
    proposal = sa_body[8:]
    transforms = proposal[8:]  # generic header (4) + proposal fields (4, SPI size 0)
    for kind, body in payloads(transforms, 3, 0):
        attrs = attributes(body[4:])
        if attrs.get(1) == enc and attrs.get(14) == key_bits and attrs.get(2) == hash_id and attrs.get(3) == AUTH_XAUTH_PSK:
            return body
    raise SystemExit("vpnc did not offer the wanted transform")


def payload(next_type, body):
    return bytes([next_type, 0]) + (4 + len(body)).to_bytes(2, "big") + body


def prf(name, key, *parts):
    return hmac.new(key, b"".join(parts), name).digest()


CIPHERS = {(7, 256): ("aes256", 16, 32), (7, 128): ("aes128", 16, 16), (5, None): ("3des", 8, 24)}


def expand_key(hash_name, skeyid_e, length):
    """RFC 2409 appendix B: SKEYID_e itself when long enough, else K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1)."""
    if len(skeyid_e) >= length:
        return skeyid_e[:length]
    out, previous = b"", b"\x00"
    while len(out) < length:
        previous = prf(hash_name, skeyid_e, previous)
        out += previous
    return out[:length]


def cbc(cipher, key, iv, data):
    if cipher == "3des":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
            except ImportError:
                TripleDES = algorithms.TripleDES
            algo = TripleDES(key)
    else:
        algo = algorithms.AES(key)
    enc = Cipher(algo, modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def run_choice(name, enc, key_bits, hash_id, hash_name, flags):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 500))
    sock.settimeout(10)
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.write(f"IPSec gateway 127.0.0.1\nIPSec ID katgroup\nIPSec secret {PSK.decode()}\n"
               "Xauth username katuser\nXauth password katpass\n")
    conf.close()
    # stdbuf: vpnc's stdout is a pipe here, and it is stopped before it would flush.
    args = ["stdbuf", "-o0", VPNC, "--no-detach", "--debug", "99", "--non-inter", "--natt-mode", "none", "--dh", "dh2",
            "--dpd-idle", "0", "--local-port", "0", "--script", "/bin/true", "--ifname", "tunkat",
            "--pid-file", PID_FILE, *flags, conf.name]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        am1, peer = sock.recvfrom(65535)
        cky_i = am1[0:8]
        fields = {kind: body for kind, body in payloads(am1, am1[16], 28)}
        sa_ib, gxi, nonce_i, id_iib = fields[1], fields[4], fields[10], fields[5]
        transform = pick_transform(sa_ib, enc, key_bits, hash_id)

        cky_r = secrets.token_bytes(8)
        x_r = int.from_bytes(secrets.token_bytes(32), "big")
        gxr = pow(2, x_r, P1024).to_bytes(128, "big")
        gxy = pow(int.from_bytes(gxi, "big"), x_r, P1024).to_bytes(128, "big")
        nonce_r = secrets.token_bytes(20)
        id_irb = bytes([1, 17, 1, 244]) + socket.inet_aton("127.0.0.1")
        skeyid = prf(hash_name, PSK, nonce_i, nonce_r)
        hash_r = prf(hash_name, skeyid, gxr, gxi, cky_r, cky_i, sa_ib, id_irb)

        proposal = bytes([1, 1, 0, 1]) + payload(0, transform)
        sa_r = sa_ib[0:8] + payload(0, proposal)
        body = (payload(4, sa_r) + payload(10, gxr) + payload(5, nonce_r) + payload(8, id_irb)
                + payload(0, hash_r))
        header = cky_i + cky_r + bytes([1, 0x10, 4, 0]) + bytes(4) + (28 + len(body)).to_bytes(4, "big")
        sock.sendto(header + body, peer)

        am3, _ = sock.recvfrom(65535)

        # XAUTH request (transaction exchange, encrypted under a new message id), then vpnc's reply.
        block, key_len = CIPHERS[(enc, key_bits)][1:]
        d = prf(hash_name, skeyid, gxy, cky_i, cky_r, b"\x00")
        a = prf(hash_name, skeyid, d, gxy, cky_i, cky_r, b"\x01")
        e = prf(hash_name, skeyid, a, gxy, cky_i, cky_r, b"\x02")
        key = expand_key(hash_name, e, key_len)
        msg_id = secrets.token_bytes(4)
        attrs = (0x4089).to_bytes(2, "big") + bytes(2) + (0x408A).to_bytes(2, "big") + bytes(2)
        attr_payload = payload(0, bytes([1, 0]) + (0x1234).to_bytes(2, "big") + attrs)
        hash1 = prf(hash_name, a, msg_id, attr_payload)
        plain = payload(14, hash1) + attr_payload
        plain += bytes(-len(plain) % block)
        iv = hashlib.new(hash_name, am3[-block:] + msg_id).digest()[:block]
        xauth_body = cbc(CIPHERS[(enc, key_bits)][0], key, iv, plain)
        header = cky_i + cky_r + bytes([8, 0x10, 6, 1]) + msg_id + (28 + len(xauth_body)).to_bytes(4, "big")
        xauth_request = header + xauth_body
        sock.sendto(xauth_request, peer)
        xauth_reply, _ = sock.recvfrom(65535)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0].decode("latin-1")
        sock.close()
        os.unlink(conf.name)
        if os.path.exists(PID_FILE):
            os.unlink(PID_FILE)
        if os.environ.get("KAT_DUMP"):
            with open(os.environ["KAT_DUMP"] + "." + name, "w") as f:
                f.write(output)
    if am3[0:16] != cky_i + cky_r or am3[19] & 1 != 1:
        raise SystemExit(f"{name}: AM3 is not an encrypted message for this exchange")
    dumps = {}
    for key in ("dh_shared_secret", "skeyid", "returned_hash", "psk_hash", "skeyid_d", "skeyid_a", "skeyid_e",
                "enc-key", "current_iv", "initial_iv"):
        # vpnc's hex_dump: "key: 0011aabb ..." for short values, "key:" and indented lines for longer ones.
        match = re.search(r"^[ \t]*" + re.escape(key) + r":((?:[ \t]+[0-9a-f]+)+[ \t]*\n"
                          r"|[ \t]*\n(?:[ \t]+[0-9a-f]+(?: [0-9a-f]+)*[ \t]*\n)+)", output, re.M)
        dumps[key] = re.sub(r"\s+", "", match.group(1)) if match else None
    return {
        "name": name, "hash": hash_name, "cipher": CIPHERS[(enc, key_bits)][0],
        "psk": PSK.hex(), "ckyI": cky_i.hex(), "ckyR": cky_r.hex(), "nonceI": nonce_i.hex(), "nonceR": nonce_r.hex(),
        "gxi": gxi.hex(), "gxr": gxr.hex(), "gxy": gxy.hex(), "saIb": sa_ib.hex(), "idIib": id_iib.hex(),
        "idIrb": id_irb.hex(), "am3": am3.hex(), "xauthRequest": xauth_request.hex(), "xauthReply": xauth_reply.hex(),
        "vpncDebug": dumps,
    }


def main():
    if os.geteuid() != 0:
        raise SystemExit("needs root (vpnc opens a TUN device); run under: unshare --net")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    version = subprocess.run([VPNC, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    captures = []
    for choice in CHOICES:
        captures.append(run_choice(*choice))
        time.sleep(0.5)
    with open(os.path.join(HERE, "keys-vpnc-am.json"), "w") as f:
        json.dump({"generator": "test/vectors/keys-vpnc-capture.py", "peer": version, "captures": captures}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
