#!/usr/bin/env python3
"""SMS-PP and CAT_TP framing for the golden-vector generator.

Every layer is assembled field by field from the specifications' layouts, not
from uicc-ota's code:
  3GPP TS 31.115 clause 4 (UDH 02 70 00 / 02 71 00, concatenation),
  TS 23.040 clause 9.2.3.24 (concatenation IEs), 9.2.2.1 (SMS-DELIVER),
    9.1.2.5 (address field), 9.2.2.2 (SMS-SUBMIT), 9.2.2.1a (SMS-DELIVER-REPORT),
  TS 31.111 clause 7.1.1.2 (ENVELOPE SMS-PP DOWNLOAD, COMPREHENSION-TLVs),
  ETSI TS 102 223 clause 6.4.10 (SEND SHORT MESSAGE),
  ETSI TS 102 127 (PDU header, variable parts, checksum; SEG on every segment
    but the last; each data PDU takes one sequence number)
`framing.py --self-test` rebuilds worked examples decoded by tshark and
real-card traces (pySim docs/smpp-ota-tool.rst, suma12/asterix) and compares.

Each subcommand prints upper-case hex, one line per output (per SMS segment or
per CAT_TP PDU):
  ud PACKET [--iei 70|71] [--ref N] [--ref16]           TP-UD of each SM
  deliver UD --oa DIGITS [--ton N] [--npi N] [--pid HH] [--dcs HH] [--scts HEX14] [--first HH]
  envelope TPDU [--smsc DIGITS --smsc-ton N --smsc-npi N]   80 C2 00 00 Lc D1 ...
  submit UD --da DIGITS [--ton N] [--npi N] [--mr HH] [--pid HH] [--dcs HH]
  deliver-report UD [--fcs HH] [--pid HH] [--dcs HH]
  send-sm TPDU [--alpha-empty]                          D0 ... SEND SHORT MESSAGE
  cattp TYPE --src N --dst N --seq N --ack N --window N [type fields] [--data HEX] [--checksum HEX]
  cattp-sdu SDU --max-pdu N --src N --dst N --seq N --ack N --window N
"""
import argparse
import sys

UD_MAX = 140  # TS 23.040 clause 9.2.3.16: TP-UD <= 140 octets with an 8-bit DCS


def h(b: bytes) -> str:
    return b.hex().upper()


def x(s: str) -> bytes:
    return bytes.fromhex(s.replace(" ", ""))


# ------------------------------------------------------------ TS 31.115 clause 4

def user_data(packet: bytes, iei: int = 0x70, ref: int = 0, ref16: bool = False) -> list:
    """Single SM = 02 iei 00 ‖ packet; concatenated when the packet exceeds 137 octets."""
    if 3 + len(packet) <= UD_MAX:
        return [bytes([2, iei, 0]) + packet]
    if ref16:
        cie = lambda n, k: bytes([0x08, 4, ref >> 8, ref & 0xFF, n, k])  # IEI 08: ref (2), total, part
    else:
        cie = lambda n, k: bytes([0x00, 3, ref, n, k])                   # IEI 00: ref (1), total, part
    first_cap = UD_MAX - 1 - len(cie(1, 1)) - 2   # 132 (8-bit) / 131 (16-bit)
    other_cap = UD_MAX - 1 - len(cie(1, 1))       # 134 / 133
    parts = [packet[:first_cap]]
    rest = packet[first_cap:]
    while rest:
        parts.append(rest[:other_cap])
        rest = rest[other_cap:]
    n = len(parts)
    if n > 255:
        sys.exit("more than 255 segments")
    out = []
    for k, part in enumerate(parts, 1):
        ies = cie(n, k) + (bytes([iei, 0]) if k == 1 else b"")  # concatenation IE first, CPI only in part 1
        out.append(bytes([len(ies)]) + ies + part)
    return out


# ------------------------------------------------------------ TS 23.040 clause 9.2.2.1

def bcd(digits: str) -> bytes:
    """Low nibble first, F filler for an odd count."""
    d = digits + ("F" if len(digits) % 2 else "")
    return bytes(int(d[i + 1], 16) << 4 | int(d[i], 16) for i in range(0, len(d), 2))


def toa(ton: int, npi: int) -> int:
    return 0x80 | ton << 4 | npi


def tp_address(digits: str, ton: int, npi: int) -> bytes:
    """Length in digits, type of address, BCD digits."""
    return bytes([len(digits), toa(ton, npi)]) + bcd(digits)


def deliver(ud: bytes, oa: str, ton: int, npi: int, pid: int, dcs: int, scts: bytes, first: int) -> bytes:
    assert len(scts) == 7 and len(ud) <= UD_MAX
    return bytes([first]) + tp_address(oa, ton, npi) + bytes([pid, dcs]) + scts + bytes([len(ud)]) + ud


# ------------------------------------------------------------ TS 23.040 clauses 9.2.2.2, 9.2.2.1a

def submit(ud: bytes, da: str, ton: int, npi: int, mr: int, pid: int, dcs: int) -> bytes:
    first = 0x01 | 0x40  # MTI 01, UDHI; no VP, RD/SRR/RP 0 -> 41
    return bytes([first, mr]) + tp_address(da, ton, npi) + bytes([pid, dcs, len(ud)]) + ud


def deliver_report(ud: bytes, fcs, pid: int, dcs: int) -> bytes:
    first = 0x40  # MTI 00, UDHI
    pi = 0x07     # PID, DCS, UDL present
    return bytes([first]) + (bytes([fcs]) if fcs is not None else b"") + bytes([pi, pid, dcs, len(ud)]) + ud


# ------------------------------------------------------------ TS 31.111 clause 7.1.1.2, TS 102 223 clause 6.4.10

def length(n: int) -> bytes:
    """BER / COMPREHENSION-TLV length: one octet below 128, else 81 xx."""
    assert n < 256
    return bytes([n]) if n < 128 else bytes([0x81, n])


def tlv(tag: int, v: bytes) -> bytes:
    return bytes([tag]) + length(len(v)) + v


def envelope(tpdu: bytes, smsc=None) -> bytes:
    body = tlv(0x82, bytes([0x83, 0x81]))                      # device identities: network -> UICC
    if smsc is not None:
        digits, ton, npi = smsc
        body += tlv(0x86, bytes([toa(ton, npi)]) + bcd(digits))  # address: TON/NPI + BCD (no digit count)
    body += tlv(0x8B, tpdu)                                      # SMS TPDU
    data = tlv(0xD1, body)                                       # SMS-PP download
    assert len(data) <= 255
    return bytes([0x80, 0xC2, 0x00, 0x00, len(data)]) + data


def send_sm(tpdu: bytes, alpha_empty: bool = False) -> bytes:
    body = tlv(0x81, bytes([0x01, 0x13, 0x00]))   # command details: number 1, SEND SHORT MESSAGE, qualifier 0
    body += tlv(0x82, bytes([0x81, 0x83]))        # device identities: UICC -> network
    if alpha_empty:
        body += bytes([0x05, 0x00])               # empty alpha identifier, CR 0 (as in the Gemalto trace)
    body += tlv(0x8B, tpdu)
    return tlv(0xD0, body)


# ------------------------------------------------------------ ETSI TS 102 127

FLAGS = {"syn": 0x80, "synack": 0xC0, "ack": 0x40, "data": 0x40, "eack": 0x60, "nul": 0x48, "rst": 0x10}
SEG, ACK = 0x04, 0x40


def cattp_checksum(pdu: bytes) -> int:
    """Checksum: one's-complement of the one's-complement sum of 16-bit words, checksum octets as 00 00, odd octet padded."""
    b = pdu[:16] + b"\0\0" + pdu[18:]
    if len(b) % 2:
        b += b"\0"
    s = 0
    for i in range(0, len(b), 2):
        s += b[i] << 8 | b[i + 1]
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def u16(n: int) -> bytes:
    assert 0 <= n <= 0xFFFF
    return bytes([n >> 8, n & 0xFF])


def cattp(kind: str, src: int, dst: int, seq: int, ack: int, window: int, *, max_pdu=None, max_sdu=None,
          ident=b"", eack=(), reason=None, data=b"", seg=False, rst_ack=False, checksum=None) -> bytes:
    flags = FLAGS[kind] | (SEG if seg else 0) | (ACK if rst_ack else 0)
    if kind in ("syn", "synack"):
        var = u16(max_pdu) + u16(max_sdu) + bytes([len(ident)]) + ident   # SYN variable header
    elif kind == "eack":
        var = b"".join(u16(s) for s in eack)
    elif kind == "rst":
        var = bytes([reason])
    else:
        var = b""
    hdr = bytes([flags, 0, 0, 18 + len(var)]) + u16(src) + u16(dst) + u16(len(data)) + u16(seq) + u16(ack) + u16(window) + b"\0\0" + var
    pdu = hdr + data
    ck = cattp_checksum(pdu) if checksum is None else checksum
    return pdu[:16] + u16(ck) + pdu[18:]


def cattp_sdu(sdu: bytes, max_pdu: int, src: int, dst: int, seq: int, ack: int, window: int) -> list:
    room = max_pdu - 18
    parts = [sdu[i:i + room] for i in range(0, len(sdu), room)]
    return [cattp("data", src, dst, (seq + i) & 0xFFFF, ack, window, data=p, seg=i < len(parts) - 1) for i, p in enumerate(parts)]


# ------------------------------------------------------------ self-test

def self_test() -> None:
    def eq(what, got, want):
        want = want.replace(" ", "").upper()
        if got != want:
            sys.exit(f"framing.py self-test failed: {what}\n  got  {got}\n  want {want}")

    # TS 23.040 clause 9.1.2.5 address examples
    eq("address +491234567", h(tp_address("491234567", 1, 1)), "09 91 94 21 43 65 F7")
    eq("address 910", h(tp_address("910", 0, 1)), "03 81 19 F0")
    # TS 31.111 clause 7.1.1.2 worked example (constructed around the real SJA2 packet, decoded by tshark)
    sja2 = x("0028 15 0619 15 15 B00010 DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D")
    [ud] = user_data(sja2)
    tp = deliver(ud, "491234567", 1, 1, 0x7F, 0xF6, x("52 10 71 31 45 21 00"), 0x44)
    eq("SJA2 ENVELOPE", h(envelope(tp, ("491710000", 1, 1))),
       "80 C2 00 00 4F D1 4D 82 02 83 81 86 06 91 94 71 01 00 F0 8B 3F 44 09 91 94 21 43 65 F7 7F F6 52 10 71 31 45 21 00 2D 02 70 00" + h(sja2))
    # suma12/asterix: real Gemalto ENVELOPE and FETCHed SEND SHORT MESSAGE
    gcmd = x("00 20 11 15 35 15 15 C0 00 00 4D5C2C7F43D3E774316C66CE8E1D5045755BACEF5DC83203")
    [ud] = user_data(gcmd)
    eq("Gemalto ENVELOPE", h(envelope(deliver(ud, "910", 0, 1, 0x7F, 0xF6, x("15 11 24 13 58 22 04"), 0x44))),
       "80 C2 00 00 3C D1 3A 82 02 83 81 8B 34 44 03 81 19 F0 7F F6 15 11 24 13 58 22 04 25 02 70 00" + h(gcmd))
    gpor = x("00 2C 0E C0 00 00 888B39C361C66D5F3DC4EFCEF508CC228021DD34E577B147E54EFF18B3922C9176644E2E8AA9A695")
    [ud] = user_data(gpor, 0x71)
    eq("Gemalto FETCH response", h(send_sm(submit(ud, "910", 0, 1, 0, 0, 0xF6), alpha_empty=True)),
       "D0 47 81 03 01 13 00 82 02 81 83 05 00 8B 3A 41 00 03 81 19 F0 00 F6 31 02 71 00" + h(gpor))
    # TS 23.040 clause 9.2.2.1a DELIVER-REPORT examples (quoted with the middle elided)
    spor = x("002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39")
    [ud] = user_data(spor, 0x71)
    ack = h(deliver_report(ud, None, 0x7F, 0xF6))
    err = h(deliver_report(ud, 0xD5, 0x7F, 0xF6))
    if not (ack.startswith("40077FF631027100002C12B000107DDF58") and ack.endswith("1A9951D59A39")):
        sys.exit(f"framing.py self-test failed: DELIVER-REPORT RP-ACK {ack}")
    if not (err.startswith("40D5077FF631027100002C12B000107DDF58") and err.endswith("1A9951D59A39")):
        sys.exit(f"framing.py self-test failed: DELIVER-REPORT RP-ERROR {err}")
    # TS 31.115 clause 4 capacities: 132 / 134 (8-bit), 131 / 133 (16-bit)
    for ref16, a, b in ((False, 132, 134), (True, 131, 133)):
        segs = user_data(bytes(300), ref=1, ref16=ref16)
        got = [len(s) - 1 - s[0] for s in segs]
        if got != [a, b, 300 - a - b]:
            sys.exit(f"framing.py self-test failed: capacities {got}")
    # PDUs decoded by tshark's CAT-TP dissector (checksum status Good)
    iccid = x("988812010000407682F5")
    eq("CAT_TP SYN", h(cattp("syn", 1024, 1, 0x1234, 0, 4, max_pdu=1024, max_sdu=2048, ident=iccid)),
       "80000021 0400 0001 0000 1234 0000 0004 5E37 0400 0800 0A 988812010000407682F5")
    eq("CAT_TP SYN-ACK", h(cattp("synack", 1, 1024, 0x5678, 0x1234, 4, max_pdu=1024, max_sdu=2048)),
       "C0000017 0001 0400 0000 5678 1234 0004 C736 0400 0800 00")
    eq("CAT_TP ACK+data", h(cattp("data", 1, 1024, 0x1235, 0x5678, 4, data=x("011B0D00000000B00010000000000000A0A40000027F20"))),
       "40000012 0001 0400 0017 1235 5678 0004 8125 011B0D00000000B00010000000000000A0A40000027F20")
    eq("CAT_TP NUL", h(cattp("nul", 1024, 1, 0x1236, 0x5678, 4)), "48000012 0400 0001 0000 1236 5678 0004 4B3A")
    eq("CAT_TP EACK", h(cattp("eack", 1024, 1, 0x1236, 0x5678, 4, eack=(0x5679, 0x5680))),
       "60000016 0400 0001 0000 1236 5678 0004 863C 5679 5680")
    eq("CAT_TP RST", h(cattp("rst", 1024, 1, 0x1237, 0, 0, reason=0)), "10000013 0400 0001 0000 1237 0000 0000 D9B4 00")
    eq("CAT_TP ACK + CAT_TP-dialect packet", h(cattp("data", 1, 1024, 0x5679, 0x1235, 4, data=x("01281506091515B00010064105D61C8EB15B1810B3180734F2FA13BC3D285881CF8594299C9C9D126808"))),
       "40000012 0001 0400 002A 5679 1235 0004 CFE7 01281506091515B00010064105D61C8EB15B1810B3180734F2FA13BC3D285881CF8594299C9C9D126808")


# ------------------------------------------------------------ command line

def main() -> None:
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        print("ok")
        return
    p = argparse.ArgumentParser(prog="framing.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    num = lambda s: int(s, 0)
    octet = lambda s: int(s, 16)

    a = sub.add_parser("ud"); a.add_argument("packet"); a.add_argument("--iei", type=octet, default=0x70)
    a.add_argument("--ref", type=num, default=0); a.add_argument("--ref16", action="store_true")
    a = sub.add_parser("deliver"); a.add_argument("ud"); a.add_argument("--oa", required=True)
    a.add_argument("--ton", type=num, default=0); a.add_argument("--npi", type=num, default=1)
    a.add_argument("--pid", type=octet, default=0x7F); a.add_argument("--dcs", type=octet, default=0xF6)
    a.add_argument("--scts", required=True); a.add_argument("--first", type=octet, default=0x44)
    a = sub.add_parser("envelope"); a.add_argument("tpdu"); a.add_argument("--smsc")
    a.add_argument("--smsc-ton", type=num, default=0); a.add_argument("--smsc-npi", type=num, default=1)
    a = sub.add_parser("submit"); a.add_argument("ud"); a.add_argument("--da", required=True)
    a.add_argument("--ton", type=num, default=0); a.add_argument("--npi", type=num, default=1)
    a.add_argument("--mr", type=octet, default=0); a.add_argument("--pid", type=octet, default=0x00); a.add_argument("--dcs", type=octet, default=0xF6)
    a = sub.add_parser("deliver-report"); a.add_argument("ud"); a.add_argument("--fcs", type=octet)
    a.add_argument("--pid", type=octet, default=0x7F); a.add_argument("--dcs", type=octet, default=0xF6)
    a = sub.add_parser("send-sm"); a.add_argument("tpdu"); a.add_argument("--alpha-empty", action="store_true")
    a = sub.add_parser("cattp"); a.add_argument("type", choices=sorted(FLAGS))
    for f in ("src", "dst", "seq", "ack", "window"):
        a.add_argument(f"--{f}", type=num, required=True)
    a.add_argument("--max-pdu", type=num); a.add_argument("--max-sdu", type=num); a.add_argument("--id", default="")
    a.add_argument("--eack", default=""); a.add_argument("--reason", type=num); a.add_argument("--data", default="")
    a.add_argument("--seg", action="store_true"); a.add_argument("--rst-ack", action="store_true"); a.add_argument("--checksum")
    a = sub.add_parser("cattp-sdu"); a.add_argument("sdu"); a.add_argument("--max-pdu", type=num, required=True)
    for f in ("src", "dst", "seq", "ack", "window"):
        a.add_argument(f"--{f}", type=num, required=True)
    o = p.parse_args()

    if o.cmd == "ud":
        out = user_data(x(o.packet), o.iei, o.ref, o.ref16)
    elif o.cmd == "deliver":
        out = [deliver(x(o.ud), o.oa, o.ton, o.npi, o.pid, o.dcs, x(o.scts), o.first)]
    elif o.cmd == "envelope":
        out = [envelope(x(o.tpdu), None if o.smsc is None else (o.smsc, o.smsc_ton, o.smsc_npi))]
    elif o.cmd == "submit":
        out = [submit(x(o.ud), o.da, o.ton, o.npi, o.mr, o.pid, o.dcs)]
    elif o.cmd == "deliver-report":
        out = [deliver_report(x(o.ud), o.fcs, o.pid, o.dcs)]
    elif o.cmd == "send-sm":
        out = [send_sm(x(o.tpdu), o.alpha_empty)]
    elif o.cmd == "cattp":
        eack = [int(s, 0) for s in o.eack.split(",") if s]
        out = [cattp(o.type, o.src, o.dst, o.seq, o.ack, o.window, max_pdu=o.max_pdu, max_sdu=o.max_sdu, ident=x(o.id), eack=eack,
                     reason=o.reason, data=x(o.data), seg=o.seg, rst_ack=o.rst_ack, checksum=None if o.checksum is None else int(o.checksum, 16))]
    else:
        out = cattp_sdu(x(o.sdu), o.max_pdu, o.src, o.dst, o.seq, o.ack, o.window)
    print("\n".join(h(b) for b in out))


if __name__ == "__main__":
    main()
