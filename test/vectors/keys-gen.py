#!/usr/bin/env python3
"""Independent reference for the IKEv1 key schedule, IV rules and MODP groups.

Written from RFC 2409 / RFC 3526 alone (not from the TypeScript sources) so that the unit tests compare two
implementations. It writes two JSON files next to itself, which the tests read; python is not needed to run
the tests, only to regenerate the files:

  python3 test/vectors/keys-gen.py

Needs python 3.8+ (hashlib, hmac) and pyca/cryptography (CBC encryption for the IV-chain scenario).

- crypto-modp-primes.json: the MODP primes of groups 1, 2, 5, 14-18 computed from their defining formula
  p = 2^N - 2^(N-64) - 1 + 2^64 * (floor(2^(N-130) * pi) + K), with pi computed here by Machin's formula,
  and checked to be safe primes (Miller-Rabin on p and (p-1)/2).
- keys-ikev1.json: phase-1 keys, HASH_I/HASH_R, phase-2 hashes, KEYMAT with and without PFS for several
  hash/cipher/auth/group combinations, and (once per cipher) a sequence of encrypted messages under the IKEv1
  IV rules: phase-1 chain, per-message-id phase-2 chains, informational messages with fresh IVs.
"""
import hashlib
import hmac
import json
import os
import random
import warnings

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = os.path.dirname(os.path.abspath(__file__))

# (group, N bits, K) from RFC 2409 section 6 and RFC 3526.
MODP = [(1, 768, 149686), (2, 1024, 129093), (5, 1536, 741804), (14, 2048, 124476),
        (15, 3072, 1690314), (16, 4096, 240904), (17, 6144, 929484), (18, 8192, 4743158)]


def arctan_inv(x, scale):
    """arctan(1/x) * scale by its Taylor series, integer arithmetic."""
    total = term = scale // x
    n, sign, x2 = 1, -1, x * x
    while term:
        term //= x2
        total += sign * (term // (2 * n + 1))
        n, sign = n + 1, -sign
    return total


def pi_fixed(bits):
    """floor(pi * 2^bits) (exact for our use: 64 guard bits)."""
    guard = 64
    scale = 1 << (bits + guard)
    pi = 16 * arctan_inv(5, scale) - 4 * arctan_inv(239, scale)
    return pi >> guard


def is_probable_prime(n, rounds=24):
    if n < 4:
        return n in (2, 3)
    if n % 2 == 0:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    rng = random.Random(n & 0xFFFFFFFF)
    for _ in range(rounds):
        a = rng.randrange(2, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def modp_prime(n_bits, k):
    return (1 << n_bits) - (1 << (n_bits - 64)) - 1 + (1 << 64) * (pi_fixed(n_bits - 130) + k)


def det(label, length):
    """Deterministic pseudo-random bytes: SHA-256 in counter mode over a label."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:length]


def i2b(value, length):
    return value.to_bytes(length, "big")


def prf(hash_name, key, *parts):
    return hmac.new(key, b"".join(parts), hash_name).digest()


def expand(hash_name, key, seed_first, length, tail=b""):
    """K1 | K2 | ... truncated; K1 = prf(key, seed_first + tail), Kn = prf(key, Kn-1 + tail)."""
    out, previous = b"", None
    while len(out) < length:
        previous = prf(hash_name, key, seed_first + tail) if previous is None else prf(hash_name, key, previous + tail)
        out += previous
    return out[:length]


CIPHERS = {"des": (8, 8), "3des": (8, 24), "aes128": (16, 16), "aes192": (16, 24), "aes256": (16, 32)}


def cbc(cipher, key, iv, data):
    if cipher in ("des", "3des"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
            except ImportError:  # older pyca/cryptography
                TripleDES = algorithms.TripleDES
            algo = TripleDES(key * 3 if cipher == "des" else key)  # DES = 3DES with K1 = K2 = K3
    else:
        algo = algorithms.AES(key)
    enc = Cipher(algo, modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def zero_pad(data, block):
    rest = len(data) % block
    return data if rest == 0 and data else data + bytes(block - rest)


def msgid_b(msg_id):
    return i2b(msg_id, 4)


# The message sequence of the IV scenario: (message id, mode, plaintext length).
SCENARIO = [
    (0, "chained", 92),            # AM3 (initiator -> responder)
    (0x11111111, "chained", 60),   # XAUTH request
    (0x11111111, "chained", 77),   # XAUTH reply
    (0x22222222, "informational", 40),  # DPD R-U-THERE
    (0x33333333, "chained", 48),   # XAUTH set (a whole number of blocks)
    (0x11111111, "chained", 33),   # late message on the first transaction
    (0x44444444, "chained", 200),  # QM1
    (0x55555555, "informational", 40),
    (0x44444444, "chained", 180),  # QM2
    (0x22222222, "informational", 40),  # DPD with a reused message id: same fresh IV again
    (0x44444444, "chained", 52),   # QM3
]


def scenario(case_name, hash_name, cipher, key, iv0):
    block = CIPHERS[cipher][0]
    phase1 = iv0
    chains = {}
    messages = []
    for index, (msg_id, mode, length) in enumerate(SCENARIO):
        plaintext = det(f"{case_name}/msg{index}", length)
        if mode == "informational":
            iv = hashlib.new(hash_name, phase1 + msgid_b(msg_id)).digest()[:block]
        elif msg_id == 0:
            iv = phase1
        else:
            iv = chains.get(msg_id) or hashlib.new(hash_name, phase1 + msgid_b(msg_id)).digest()[:block]
        ciphertext = cbc(cipher, key, iv, zero_pad(plaintext, block))
        if mode == "chained":
            if msg_id == 0:
                phase1 = ciphertext[-block:]
            else:
                chains[msg_id] = ciphertext[-block:]
        messages.append({"msgId": msg_id, "mode": mode, "iv": iv.hex(), "plaintext": plaintext.hex(),
                         "ciphertext": ciphertext.hex()})
    return messages


CASES = [
    # name, hash, cipher, auth, dh group
    ("md5-des-psk", "md5", "des", "psk", 1),
    ("md5-3des-psk", "md5", "3des", "psk", 2),
    ("sha1-3des-psk", "sha1", "3des", "psk", 2),
    ("sha1-aes128-psk", "sha1", "aes128", "psk", 2),
    ("md5-aes128-psk", "md5", "aes128", "psk", 2),
    ("sha1-aes256-psk", "sha1", "aes256", "psk", 5),
    ("md5-aes256-psk", "md5", "aes256", "psk", 2),
    ("md5-aes192-signature", "md5", "aes192", "signature", 2),
    ("sha1-aes256-signature", "sha1", "aes256", "signature", 14),
    ("sha256-aes256-psk", "sha256", "aes256", "psk", 14),
    ("sha384-aes128-psk", "sha384", "aes128", "psk", 2),
    ("sha512-aes256-signature", "sha512", "aes256", "signature", 2),
]


def dh_pair(group, label, primes):
    p = primes[group]
    length = (p.bit_length() + 7) // 8
    x_i = int.from_bytes(det(f"{label}/xi", 32), "big") | 1
    x_r = int.from_bytes(det(f"{label}/xr", 32), "big") | 1
    gxi, gxr = pow(2, x_i, p), pow(2, x_r, p)
    gxy = pow(gxr, x_i, p)
    assert gxy == pow(gxi, x_r, p)
    return {"group": group, "privateI": i2b(x_i, 32).hex(), "privateR": i2b(x_r, 32).hex(),
            "gxi": i2b(gxi, length).hex(), "gxr": i2b(gxr, length).hex(), "gxy": i2b(gxy, length).hex()}


def build_case(name, hash_name, cipher, auth, group, primes, with_messages):
    block, key_len = CIPHERS[cipher]
    dh = dh_pair(group, name, primes)
    gxi, gxr, gxy = (bytes.fromhex(dh[k]) for k in ("gxi", "gxr", "gxy"))
    psk = b"group secret " + name.encode()
    ni, nr = det(f"{name}/ni", 20), det(f"{name}/nr", 24)
    cky_i, cky_r = det(f"{name}/ckyi", 8), det(f"{name}/ckyr", 8)
    sa_ib = det(f"{name}/sa", 52)
    id_iib, id_irb = b"\x0b\x11\x01\xf4" + b"vpngroup", b"\x01\x11\x01\xf4" + bytes([198, 51, 100, 1])

    skeyid = prf(hash_name, psk, ni + nr) if auth == "psk" else prf(hash_name, ni + nr, gxy)
    d = prf(hash_name, skeyid, gxy + cky_i + cky_r + b"\x00")
    a = prf(hash_name, skeyid, d + gxy + cky_i + cky_r + b"\x01")
    e = prf(hash_name, skeyid, a + gxy + cky_i + cky_r + b"\x02")
    enc_key = e[:key_len] if len(e) >= key_len else expand(hash_name, e, b"\x00", key_len)
    iv0 = hashlib.new(hash_name, gxi + gxr).digest()[:block]
    hash_i = prf(hash_name, skeyid, gxi + gxr + cky_i + cky_r + sa_ib + id_iib)
    hash_r = prf(hash_name, skeyid, gxr + gxi + cky_r + cky_i + sa_ib + id_irb)

    msg_id = int.from_bytes(det(f"{name}/mid", 4), "big")
    rest1, rest2 = det(f"{name}/rest1", 120), det(f"{name}/rest2", 110)
    nonce_qi, nonce_qr = det(f"{name}/qni", 20), det(f"{name}/qnr", 16)
    spi = det(f"{name}/spi", 4)
    qm = dh_pair(2, name + "/qm", primes)
    qm_gxy = bytes.fromhex(qm["gxy"])
    keymat_len = 32 + 20
    tail = b"\x03" + spi + nonce_qi + nonce_qr

    return {
        "name": name, "hash": hash_name, "cipher": cipher, "auth": auth, "dh": dh,
        "psk": psk.hex(), "nonceI": ni.hex(), "nonceR": nr.hex(), "ckyI": cky_i.hex(), "ckyR": cky_r.hex(),
        "saIb": sa_ib.hex(), "idIib": id_iib.hex(), "idIrb": id_irb.hex(),
        "expected": {
            "skeyid": skeyid.hex(), "skeyidD": d.hex(), "skeyidA": a.hex(), "skeyidE": e.hex(),
            "encKey": enc_key.hex(), "encKeyExpanded": len(e) < key_len, "iv0": iv0.hex(),
            "hashI": hash_i.hex(), "hashR": hash_r.hex(),
            "presharedKeyHash": prf(hash_name, skeyid, psk).hex(),
        },
        "phase2": {
            "msgId": msg_id, "rest1": rest1.hex(), "rest2": rest2.hex(),
            "nonceI": nonce_qi.hex(), "nonceR": nonce_qr.hex(), "protocol": 3, "spi": spi.hex(),
            "qmDh": qm, "keymatLength": keymat_len,
            "expected": {
                "hash1": prf(hash_name, a, msgid_b(msg_id) + rest1).hex(),
                "hash2": prf(hash_name, a, msgid_b(msg_id) + nonce_qi + rest2).hex(),
                "hash3": prf(hash_name, a, b"\x00" + msgid_b(msg_id) + nonce_qi + nonce_qr).hex(),
                "keymat": expand(hash_name, d, b"", keymat_len, tail).hex(),
                "keymatPfs": expand(hash_name, d, b"", keymat_len, qm_gxy + tail).hex(),
            },
        },
        "messages": scenario(name, hash_name, cipher, enc_key, iv0) if with_messages else [],
    }


def main():
    primes = {}
    for group, bits, k in MODP:
        p = modp_prime(bits, k)
        assert p.bit_length() == bits, (group, p.bit_length())
        if bits <= 2048:  # the larger ones take minutes in pure python; OpenSSL's copy is compared anyway
            assert is_probable_prime(p) and is_probable_prime((p - 1) // 2), f"group {group} is not a safe prime"
        primes[group] = p
    with open(os.path.join(HERE, "crypto-modp-primes.json"), "w") as f:
        json.dump({"generator": "test/vectors/keys-gen.py", "primes": {str(g): i2b(p, bits // 8).hex()
                   for (g, bits, _), p in zip(MODP, primes.values())}}, f, indent=1)
        f.write("\n")
    # The encrypted-message scenario once per cipher keeps the file small.
    seen = set()
    cases = []
    for case in CASES:
        cases.append(build_case(*case, primes, case[2] not in seen))
        seen.add(case[2])
    with open(os.path.join(HERE, "keys-ikev1.json"), "w") as f:
        json.dump({"generator": "test/vectors/keys-gen.py", "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
