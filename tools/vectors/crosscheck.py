#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Re-derive every vector set in docs/test-vectors.md independently.

A second implementation of the RFC 8548 formulas, written straight from the
RFC text in Python (python3-cryptography for the curves and AEADs, HMAC from
the standard library for HKDF), so that a mistake in lib/core shows up as a
mismatch. It reads each "$ tcpcrypt-vectors ..." command line of the document,
recomputes every output line from the arguments alone, and compares.

    tools/vectors/crosscheck.py [docs/test-vectors.md]
Exit status 0 when every line matches.
"""
import hashlib
import hmac
import shlex
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519, x448
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

AEADS = {0x0001: (AESGCM, 16), 0x0002: (AESGCM, 32), 0x0010: (ChaCha20Poly1305, 32)}
NONCE_LEN = 12


def extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def cprf(key, info, length):
    """HKDF-Expand-SHA256 (RFC 5869 2.3)."""
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(key, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def keypair(tep, priv):
    """(private key object, Pub wire encoding) for a fixed private key."""
    if tep == 0x23:
        k = x25519.X25519PrivateKey.from_private_bytes(priv)
    elif tep == 0x24:
        k = x448.X448PrivateKey.from_private_bytes(priv)
    else:
        curve = ec.SECP256R1() if tep == 0x21 else ec.SECP521R1()
        k = ec.derive_private_key(int.from_bytes(priv, "big"), curve)
        point = k.public_key().public_bytes(serialization.Encoding.X962,
                                            serialization.PublicFormat.CompressedPoint)
        # u16 pubkey_len counts its own two bytes (RFC 8548 section 5)
        return k, (len(point) + 2).to_bytes(2, "big") + point
    raw = k.public_key().public_bytes(serialization.Encoding.Raw,
                                      serialization.PublicFormat.Raw)
    return k, raw


def ecdh(tep, k, peer_pub):
    if tep == 0x23:
        return k.exchange(x25519.X25519PublicKey.from_public_bytes(peer_pub))
    if tep == 0x24:
        return k.exchange(x448.X448PublicKey.from_public_bytes(peer_pub))
    curve = ec.SECP256R1() if tep == 0x21 else ec.SECP521R1()
    assert int.from_bytes(peer_pub[:2], "big") == len(peer_pub)
    peer = ec.EllipticCurvePublicKey.from_encoded_point(curve, peer_pub[2:])
    return k.exchange(ec.ECDH(), peer)


def traffic_keys(mk, aead):
    klen = AEADS[aead][1] + NONCE_LEN
    return cprf(mk, b"\x04", klen), cprf(mk, b"\x05", klen)


def seal(aead, k_nr, offset, control, flags, data):
    cls, klen = AEADS[aead]
    key, nr = k_nr[:klen], k_nr[klen:]
    frame_id = bytes(NONCE_LEN - 8) + offset.to_bytes(8, "big")
    nonce = bytes(a ^ b for a, b in zip(nr, frame_id))
    clen = 1 + len(data) + 16
    hdr = bytes([control]) + clen.to_bytes(2, "big")
    return hdr + cls(key).encrypt(nonce, bytes([flags]) + data, hdr)


def compute(argv):
    opts, frames = {}, []
    it = iter(argv)
    for a in it:
        if a == "--frame":
            frames.append(next(it))
        else:
            opts[a] = next(it)
    tep = int(opts["--tep"], 0)
    offer = [int(x, 0) for x in opts["--aeads"].split(",")]
    aead = int(opts["--aead"], 0)
    na, nb = bytes.fromhex(opts["--nonce-a"]), bytes.fromhex(opts["--nonce-b"])
    transcript = bytes.fromhex(opts["--eno-a"]) + bytes.fromhex(opts["--eno-b"])
    ka, pub_a = keypair(tep, bytes.fromhex(opts["--priv-a"]))
    kb, pub_b = keypair(tep, bytes.fromhex(opts["--priv-b"]))

    body1 = bytes([len(offer)]) + b"".join(c.to_bytes(2, "big") for c in offer) + na + pub_a
    init1 = (0x15101A0E).to_bytes(4, "big") + (8 + len(body1)).to_bytes(4, "big") + body1
    body2 = aead.to_bytes(2, "big") + nb + pub_b
    init2 = (0x097105E0).to_bytes(4, "big") + (8 + len(body2)).to_bytes(4, "big") + body2
    es = ecdh(tep, ka, pub_b)
    assert es == ecdh(tep, kb, pub_a)
    prk = extract(na, transcript + init1 + init2 + es)
    ss1 = cprf(prk, b"\x01", 32)
    mk0 = cprf(prk, b"\x03", 32)
    mk1 = cprf(mk0, b"\x03", 32)
    out = [("init1", init1), ("init2", init2), ("es", es), ("prk", prk), ("ss1", ss1),
           ("mk0", mk0), ("mk1", mk1)]
    k0, k1 = traffic_keys(mk0, aead), traffic_keys(mk1, aead)
    out += [("k_ab0", k0[0]), ("k_ba0", k0[1]), ("k_ab1", k1[0]), ("k_ba1", k1[1])]
    out.append(("session_id", bytes([tep]) + cprf(prk, b"\x02", 32)))
    out.append(("resume1", cprf(ss1, b"\x06", 18)))
    for f in frames:
        d, gen, off, flags, data = f.split(":")
        mk = mk0
        for _ in range(int(gen)):
            mk = cprf(mk, b"\x03", 32)
        k_ab, k_ba = traffic_keys(mk, aead)
        control = 1 if "r" in flags else 0
        fl = 1 if "f" in flags else 0
        fr = seal(aead, k_ab if d == "ab" else k_ba, int(off, 0), control, fl,
                  bytes.fromhex(data))
        out.append((f"frame {d} {int(off, 0)}", fr))
    if "--resume" in opts:
        x, y = opts["--resume"].split(":")
        sn = bytes.fromhex(x) + bytes.fromhex(y)
        rmk = cprf(ss1, b"\x03" + sn, 32)
        out.append(("resumed_mk0", rmk))
        out.append(("resumed_k_ab0", traffic_keys(rmk, aead)[0]))
        out.append(("resumed_session_id", bytes([tep | 0x80]) + cprf(ss1, b"\x02" + sn, 32)))
    return [f"{n} {v.hex()}" for n, v in out]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "docs/test-vectors.md"
    lines = open(path).read().split("\n")
    sets = bad = 0
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ tcpcrypt-vectors"):
            i += 1
            continue
        cmd = lines[i]
        while cmd.endswith("\\"):
            i += 1
            cmd = cmd[:-1] + lines[i]
        i += 1
        got = []
        while i < len(lines) and lines[i] != "```":
            got.append(lines[i])
            i += 1
        want = compute(shlex.split(cmd)[2:])
        sets += 1
        if got != want:
            bad += 1
            print(f"MISMATCH in set {sets}: {cmd[:80]}...")
            for g, w in zip(got, want):
                if g != w:
                    print(f"  doc:      {g}\n  expected: {w}")
            if len(got) != len(want):
                print(f"  {len(got)} lines in the doc, {len(want)} expected")
    print(f"{sets} sets checked, {bad} mismatched")
    return 1 if bad or not sets else 0


if __name__ == "__main__":
    sys.exit(main())
