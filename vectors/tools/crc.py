#!/usr/bin/env python3
"""CRC-16/X-25 and CRC-32/ISO-HDLC for the golden-vector generator.

Written from the definition TS 102 225 clause 5.1.3.2 refers to (ISO/IEC 13239
HDLC CRCs: reflected, init all ones,
final complement, result written most-significant octet first), not from
uicc-ota's code. `crc.py --self-test` checks the CRC catalogue check values
("123456789" -> 906E / CBF43926) and the TS 102 225 Annex B examples
(01 02 03 04 05 -> 22EC / 470B99F4).

Usage: crc.py crc16|crc32 HEX   prints the RC field as upper-case hex
"""
import sys


def crc16_x25(data: bytes) -> bytes:
    c = 0xFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ (0x8408 if c & 1 else 0)
    return (c ^ 0xFFFF).to_bytes(2, "big")


def crc32_hdlc(data: bytes) -> bytes:
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ (0xEDB88320 if c & 1 else 0)
    return (c ^ 0xFFFFFFFF).to_bytes(4, "big")


ALGS = {"crc16": crc16_x25, "crc32": crc32_hdlc}


def self_test() -> None:
    checks = [
        ("crc16", b"123456789", "906E"),
        ("crc32", b"123456789", "CBF43926"),
        ("crc16", bytes([1, 2, 3, 4, 5]), "22EC"),
        ("crc32", bytes([1, 2, 3, 4, 5]), "470B99F4"),
    ]
    for alg, data, want in checks:
        got = ALGS[alg](data).hex().upper()
        if got != want:
            sys.exit(f"crc.py self-test failed: {alg}({data!r}) = {got}, expected {want}")


def main() -> None:
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        print("ok")
        return
    if len(sys.argv) != 3 or sys.argv[1] not in ALGS:
        sys.exit(__doc__)
    print(ALGS[sys.argv[1]](bytes.fromhex(sys.argv[2])).hex().upper())


if __name__ == "__main__":
    main()
