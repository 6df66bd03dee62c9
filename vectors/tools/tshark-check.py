#!/usr/bin/env python3
"""Second, independent witness for the framing vectors: Wireshark's dissectors.

For every case of kind sms, por, cattp-pdu and cattp in the given vector files,
write expected.hex as a capture (this script's own pcap/pcapng writer, not
uicc-ota's), decode it with tshark, and check that Wireshark sees the fields
the case's inputs ask for:
  sms  ENVELOPE via GSMTAP SIM (UDP 4729, + SW 90 00: gsm_sim / etsi_cat / gsm_sms);
       SMS-DELIVER via user DLT 147 = gsm_sms; user data wrapped
       in a minimal SMS-DELIVER (01 81 F0 7F F6 SCTS 0…)
  por  SMS-SUBMIT and SMS-DELIVER-REPORT via DLT 147 in pcapng with the
       direction "inbound" (MS→SC); SEND SHORT MESSAGE as a FETCH 80 12 00 00
       via GSMTAP SIM; user data wrapped in a DELIVER-REPORT 40 07 7F F6
  cattp-pdu, cattp  UDP 1000 → 2000 with -d udp.port==2000,cattp
Checked: TP-MTI, TP-UDHI, OA/DA digits, TON, NPI, TP-MR, TP-PID, TP-DCS, TP-SCTS,
TP-FCS, TP-UDL, the UDH IEs (70/71, concatenation reference / parts / part
number), tshark's own reassembly of concatenated SMS, the secured-packet
header inside (CPL/RPL vs length, SPI, KIc, KID, TAR), ENVELOPE Lc, tags and
device identities, SC address, command details; CAT_TP flags, version,
header length, ports, data length, sequence / acknowledgement numbers,
window, checksum status, maximum PDU/SDU size, identification / ICCID, EACK
list, reason code, data; and no malformed packet or error expert info
(except the bad checksum a case asks for).

Usage: tshark-check.py FILE.json ...   (last line: "tshark-check: N cases, M checks, F failed")
Exit 0 when everything matched, 1 when a check failed, 2 when tshark is missing.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

TSHARK = os.environ.get("TSHARK") or shutil.which("tshark") or "/usr/bin/tshark"
DLT147 = 'uat:user_dlts:"User 0 (DLT=147)","gsm_sms","0","","0",""'


# ------------------------------------------------------------ capture writers

def pcap(path, linktype, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)) + fr)


def pcapng_inbound(path, linktype, frames):
    """pcapng with epb_flags direction 01 = inbound, which gsm_sms reads as MS→SC."""
    def block(t, body):
        body += b"\0" * (-len(body) % 4)
        return struct.pack("<II", t, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)) + block(1, struct.pack("<HHI", linktype, 0, 65535))
    for i, fr in enumerate(frames):
        opts = struct.pack("<HHI", 2, 4, 1) + struct.pack("<HH", 0, 0)
        out += block(6, struct.pack("<IIIII", 0, i, 0, len(fr), len(fr)) + fr + b"\0" * (-len(fr) % 4) + opts)
    with open(path, "wb") as f:
        f.write(out)


def ipv4_udp(payload, sport, dport):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 0, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    s = sum(struct.unpack("!10H", bytes(ip)))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    ip[10:12] = struct.pack("!H", ~s & 0xFFFF)
    return bytes(ip) + u


GSMTAP_SIM = bytes([2, 4, 4]) + bytes(13)  # GSMTAP v2, header 4 words, type 4 = SIM


def gsmtap_sim(apdu_and_response):
    return ipv4_udp(GSMTAP_SIM + apdu_and_response + b"\x90\x00", 4729, 4729)


# ------------------------------------------------------------ tshark

def tshark(path, opts):
    r = subprocess.run([TSHARK, "-r", path, "-T", "json", "--no-duplicate-keys", *opts], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"tshark failed: {r.stderr.strip()}")
    return [p["_source"]["layers"] for p in json.loads(r.stdout)]


def find(o, key):
    """Every value under `key` at any depth (lists flattened)."""
    out = []
    if isinstance(o, dict):
        for k, v in o.items():
            if k == key:
                out.extend(v if isinstance(v, list) else [v])
            out.extend(find(v, key))
    elif isinstance(o, list):
        for v in o:
            out.extend(find(v, key))
    return out


def unhex(s):
    return bytes.fromhex(s.replace(":", ""))


def num(s):
    return int(s, 0)


class Case:
    def __init__(self, c):
        self.c = c
        self.checks = 0
        self.fails = []

    def eq(self, what, got, want):
        self.checks += 1
        if got != want:
            self.fails.append(f"{what}: tshark shows {got!r}, expected {want!r}")

    def errors_free(self, frames, allow=()):
        for n, fr in enumerate(frames, 1):
            bad = find(fr, "_ws.malformed")
            experts = [e for e in find(fr, "_ws.expert") if isinstance(e, dict) and e.get("_ws.expert.severity") == str(0x00800000)]
            experts = [e for e in experts if not any(a in e for a in allow)]
            self.eq(f"frame {n}: malformed / error expert info", len(bad) + len(experts), 0)


# ------------------------------------------------------------ SMS side

def bcd_digits(b):
    s = "".join(f"{x & 0xF:X}{x >> 4:X}" for x in b)
    return s.rstrip("F")


def addr(d, default):
    """Digits, TON, NPI as the vector inputs mean them ("+" = international unless a TON is given)."""
    a = d if d is not None else default
    return a.lstrip("+"), (1 if a.startswith("+") else 0), 1


def check_udh(k, fr, n, total, iei, inp, where):
    ies = find(fr, "gsm_sms.ie_identifier")
    want = ([("0x08" if inp.get("concat16") else "0x00")] if total > 1 else []) + ([f"0x{iei:02x}"] if n == 1 else [])
    k.eq(f"{where} UDH IEs", ies, want)
    if total > 1:
        k.eq(f"{where} concatenation reference", find(fr, "gsm_sms.udh.mm.msg_id"), [str(inp.get("concatRef", 0))])
        k.eq(f"{where} concatenation parts", find(fr, "gsm_sms.udh.mm.msg_parts"), [str(total)])
        k.eq(f"{where} concatenation part number", find(fr, "gsm_sms.udh.mm.msg_part"), [str(n)])


def check_body(k, body, inp, kind):
    """The secured packet tshark hands over as the SMS body (reassembled when concatenated)."""
    k.eq("packet length vs its CPL/RPL", (body[0] << 8 | body[1]) + 2 if len(body) >= 2 else None, len(body))
    if "packet" in inp:
        k.eq("packet", body.hex().upper(), inp["packet"].replace(" ", "").upper())
    elif kind == "command":
        k.eq("packet SPI, KIc, KID, TAR", body[3:10].hex().upper(), (inp["spi"] + inp["kic"] + inp["kid"] + inp["tar"]).upper())
    else:
        k.eq("packet TAR", body[3:6].hex().upper(), inp["tar"].upper())


def sms_layer(k, frames, outs, where_fmt):
    layers = []
    for n, fr in enumerate(frames, 1):
        g = find(fr, "gsm_sms")
        k.eq(where_fmt.format(n) + " gsm_sms layers", len(g), 1)
        layers.append(g[0] if g else {})
    return layers


def scts_fields(h):
    b = unhex(h)
    d = [int(f"{x & 0xF}{x >> 4}") for x in b[:6]]
    return [str(v) for v in d]


def body_of(layers, total):
    """Single SMS: its body. Concatenated: tshark's reassembled body (in the last segment)."""
    bodies = [find(g, "gsm_sms.sms_body") for g in layers]
    if total == 1:
        return unhex(bodies[0][0]) if bodies[0] else b""
    last = bodies[-1]
    return unhex(last[-1]) if last else b""


def check_sms(k, tmp):
    c, inp = k.c, k.c["inputs"]
    outs = [unhex(h) for h in c["expected"]["hex"]]
    total, fmt = len(outs), inp["format"]
    path = os.path.join(tmp, "f.pcap")
    if fmt == "envelope":
        pcap(path, 101, [gsmtap_sim(o) for o in outs])
        frames = tshark(path, [])
        for n, (fr, o) in enumerate(zip(frames, outs), 1):
            w = f"segment {n}"
            k.eq(f"{w} ENVELOPE INS", find(fr, "gsm_sim.apdu.ins"), ["0xc2"])
            k.eq(f"{w} ENVELOPE Lc", find(fr, "gsm_sim.le"), [str(len(o) - 5)])
            k.eq(f"{w} BER-TLV tag", find(fr, "gsm_sim.cat.ber_tlv_tag"), ["0xd1"])
            k.eq(f"{w} device identities", find(fr, "etsi_cat.comp_tlv.src_dev") + find(fr, "etsi_cat.comp_tlv.dst_dev"), ["0x83", "0x81"])
            if "smsc" in inp:
                d, ton, npi = addr(inp["smsc"], None)
                k.eq(f"{w} SC address TON/NPI", find(fr, "etsi_cat.comp_tlv.address.ton") + find(fr, "etsi_cat.comp_tlv.address.npi"), [f"0x{ton:02x}", f"0x{npi:02x}"])
                raw = [unhex(v) for v in find(fr, "etsi_cat.comp_tlv") if v and unhex(v)[:1] == bytes([0x80 | ton << 4 | npi])]
                k.eq(f"{w} SC address digits", [bcd_digits(r[1:]) for r in raw[:1]], [d])
            else:
                k.eq(f"{w} no SC address", find(fr, "etsi_cat.comp_tlv.address.ton"), [])
    else:
        if fmt == "ud":  # a minimal SMS-DELIVER around the user data, for gsm_sms
            outs_t = [bytes([0x44, 1, 0x81, 0xF0, 0x7F, 0xF6]) + bytes(7) + bytes([len(o)]) + o for o in outs]
        else:
            outs_t = outs
        pcap(path, 147, outs_t)
        frames = tshark(path, ["-o", DLT147])
    layers = sms_layer(k, frames, outs, "segment {}")
    for n, g in enumerate(layers, 1):
        w = f"segment {n}"
        k.eq(f"{w} TP-MTI", find(g, "gsm_sms.tp-mti"), ["0"])
        k.eq(f"{w} TP-UDHI", find(g, "gsm_sms.tp-udhi"), ["1"])
        ud_len = len(outs[n - 1]) if fmt == "ud" else None
        if fmt != "ud":
            d, ton, npi = addr(inp.get("oa"), "12345678")
            ton = inp.get("ton", ton)
            npi = inp.get("npi", npi)
            k.eq(f"{w} TP-OA", find(g, "gsm_sms.tp-oa"), [d])
            k.eq(f"{w} TP-OA TON/NPI", find(g, "gsm_sms.dis_field_addr.num_type") + find(g, "gsm_sms.dis_field_addr.num_plan"), [str(ton), str(npi)])
            k.eq(f"{w} TP-PID", find(g, "gsm_sms.tp-pid"), [str(int(inp.get("pid", "7F"), 16))])
            k.eq(f"{w} TP-DCS", find(g, "gsm_sms.tp-dcs"), [str(int(inp.get("dcs", "F6"), 16))])
            sc = inp.get("scts", "62101000000000")
            got = [find(g, f"gsm_sms.scts.{f}") for f in ("year", "month", "day", "hour", "minutes", "seconds")]
            k.eq(f"{w} TP-SCTS", [x[0] if x else None for x in got], scts_fields(sc))
            tpdu = unhex(find(fr_for(frames, n), "etsi_cat.comp_tlv")[-1]) if fmt == "envelope" else outs[n - 1]
            ud_len = len(tpdu) - (1 + 2 + (len(d) + 1) // 2 + 2 + 7 + 1)
        k.eq(f"{w} TP-UDL", find(g, "gsm_sms.tp.user_data_length"), [str(ud_len)])
        check_udh(k, g, n, total, 0x70, inp, w)
    if total > 1:
        k.eq("tshark reassembly: fragments", find(layers[-1], "gsm_sms.fragment.count"), [str(total)])
    check_body(k, body_of(layers, total), inp, "command")
    k.errors_free(frames)


def fr_for(frames, n):
    return frames[n - 1]


def check_por(k, tmp):
    c, inp = k.c, k.c["inputs"]
    outs = [unhex(h) for h in c["expected"]["hex"]]
    total, fmt = len(outs), inp["format"]
    if fmt == "proactive":
        path = os.path.join(tmp, "f.pcap")
        pcap(path, 101, [gsmtap_sim(bytes([0x80, 0x12, 0, 0, len(o)]) + o) for o in outs])
        frames = tshark(path, [])
        for n, fr in enumerate(frames, 1):
            w = f"segment {n}"
            k.eq(f"{w} FETCH INS", find(fr, "gsm_sim.apdu.ins"), ["0x12"])
            k.eq(f"{w} BER-TLV tag", find(fr, "gsm_sim.cat.ber_tlv_tag"), ["0xd0"])
            k.eq(f"{w} command details", find(fr, "etsi_cat.comp_tlv.cmd_nr") + find(fr, "etsi_cat.comp_tlv.cmd_type"), ["0x01", "0x13"])
            k.eq(f"{w} device identities", find(fr, "etsi_cat.comp_tlv.src_dev") + find(fr, "etsi_cat.comp_tlv.dst_dev"), ["0x81", "0x83"])
    else:
        wrap = (lambda o: bytes([0x40, 0x07, 0x7F, 0xF6, len(o)]) + o) if fmt == "ud" else (lambda o: o)
        path = os.path.join(tmp, "f.pcapng")
        pcapng_inbound(path, 147, [wrap(o) for o in outs])
        frames = tshark(path, ["-o", DLT147])
    layers = sms_layer(k, frames, outs, "segment {}")
    for n, g in enumerate(layers, 1):
        w = f"segment {n}"
        k.eq(f"{w} TP-UDHI", find(g, "gsm_sms.tp-udhi"), ["1"])
        ud = None
        if fmt in ("submit", "proactive"):
            d, ton, npi = addr(inp.get("da"), "12345678")
            k.eq(f"{w} TP-MTI", find(g, "gsm_sms.tp-mti"), ["1"])
            k.eq(f"{w} TP-MR", find(g, "gsm_sms.tp-mr"), ["0"])
            k.eq(f"{w} TP-DA", find(g, "gsm_sms.tp-da"), [d])
            k.eq(f"{w} TP-DA TON/NPI", find(g, "gsm_sms.dis_field_addr.num_type") + find(g, "gsm_sms.dis_field_addr.num_plan"), [str(ton), str(npi)])
            k.eq(f"{w} TP-PID", find(g, "gsm_sms.tp-pid"), ["0"])
            k.eq(f"{w} TP-DCS", find(g, "gsm_sms.tp-dcs"), ["246"])
            k.eq(f"{w} TP-VPF", find(g, "gsm_sms.tp-vpf"), ["0"])
            tp = outs[n - 1] if fmt == "submit" else unhex(find(frames[n - 1], "etsi_cat.comp_tlv")[-1])
            ud = len(tp) - (2 + 2 + (len(d) + 1) // 2 + 2 + 1)
        else:
            k.eq(f"{w} TP-MTI", find(g, "gsm_sms.tp-mti"), ["0"])
            k.eq(f"{w} TP-PID", find(g, "gsm_sms.tp-pid"), ["127"])
            k.eq(f"{w} TP-DCS", find(g, "gsm_sms.tp-dcs"), ["246"])
            raw = outs[n - 1]
            fcs = fmt == "deliver-report" and raw[1] >= 0x80
            text = json.dumps(g)
            k.eq(f"{w} TP-FCS present", "TP-Failure-Cause" in text or "tp-fcs" in text.lower(), fcs)
            ud = len(raw) - (5 + (1 if fcs else 0)) if fmt == "deliver-report" else len(raw)
        k.eq(f"{w} TP-UDL", find(g, "gsm_sms.tp.user_data_length"), [str(ud)])
        check_udh(k, g, n, total, 0x71, inp, w)
    if total > 1:
        k.eq("tshark reassembly: fragments", find(layers[-1], "gsm_sms.fragment.count"), [str(total)])
    check_body(k, body_of(layers, total), inp, "response")
    k.errors_free(frames)


# ------------------------------------------------------------ CAT_TP

FLAGS = {"syn": 0x80, "synack": 0xC0, "ack": 0x40, "data": 0x40, "eack": 0x60, "nul": 0x48, "rst": 0x10}


def cattp_frames(tmp, outs):
    path = os.path.join(tmp, "f.pcap")
    pcap(path, 101, [ipv4_udp(o, 1000, 2000) for o in outs])
    return tshark(path, ["-d", "udp.port==2000,cattp"])


def check_pdu_header(k, fr, w, flags, hlen, inp, seq, datalen):
    t = fr.get("cattp", {})
    k.eq(f"{w} flags", t.get("cattp.flags"), f"0x{flags:02x}")
    k.eq(f"{w} version", find(t, "cattp.version"), ["0x00"])
    k.eq(f"{w} header length", t.get("cattp.hlen"), str(hlen))
    k.eq(f"{w} ports", [t.get("cattp.srcport"), t.get("cattp.dstport")], [str(inp["srcPort"]), str(inp["dstPort"])])
    k.eq(f"{w} data length", t.get("cattp.datalen"), str(datalen))
    k.eq(f"{w} sequence number", t.get("cattp.seq"), str(seq))
    k.eq(f"{w} acknowledgement number", t.get("cattp.ack"), str(inp["ack"]))
    k.eq(f"{w} window size", t.get("cattp.windowsize"), str(inp["window"]))
    return t


def check_cattp_pdu(k, tmp):
    inp = k.c["inputs"]
    out = unhex(k.c["expected"]["hex"])
    [fr] = cattp_frames(tmp, [out])
    typ = inp["type"]
    flags = FLAGS[typ] | (0x04 if inp.get("seg") else 0) | (0x40 if inp.get("rstAck") else 0)
    ident = unhex(inp.get("identification", ""))
    var = {"syn": 5 + len(ident), "synack": 5 + len(ident), "eack": 2 * len(inp.get("eack", [])), "rst": 1}.get(typ, 0)
    data = unhex(inp.get("data", ""))
    t = check_pdu_header(k, fr, "PDU", flags, 18 + var, inp, inp["seq"], len(data))
    bad = "checksum" in inp
    k.eq("checksum status (1 good, 0 bad)", t.get("cattp.checksum.status"), "0" if bad else "1")
    if bad:
        k.eq("checksum field", t.get("cattp.checksum"), "0x" + inp["checksum"].lower())
        k.eq("tshark says bad checksum", len(find(t, "cattp.bad_checksum")), 1)
    if typ in ("syn", "synack"):
        k.eq("maximum PDU/SDU size", [t.get("cattp.maxpdu"), t.get("cattp.maxsdu")], [str(inp["maxPdu"]), str(inp["maxSdu"])])
        k.eq("identification length", t.get("cattp.idlen"), str(len(ident)))
        if ident:
            k.eq("identification", find(t, "cattp.identification"), [ident.hex(":")])
        if 9 <= len(ident) <= 10 and ident[0] == 0x98:  # Wireshark's ICCID reading (its CAT-TP dissector)
            k.eq("ICCID", find(t, "cattp.iccid"), ["".join(f"{x & 0xF:X}{x >> 4:X}" for x in ident)])
    if typ == "eack":
        k.eq("EACK list", find(t, "cattp.eak"), [str(s) for s in inp["eack"]])
    if typ == "rst":
        k.eq("reason code", t.get("cattp.rc"), str(inp["reason"]))
    k.eq("data", find(fr, "data.data"), [data.hex(":")] if data else [])
    k.errors_free([fr], allow=("cattp.bad_checksum",) if bad else ())


def check_cattp(k, tmp):
    inp = k.c["inputs"]
    outs = [unhex(h) for h in k.c["expected"]["hex"]]
    frames = cattp_frames(tmp, outs)
    room = inp["maxPdu"] - 18
    sdu = b""
    for n, (fr, o) in enumerate(zip(frames, outs), 1):
        last = n == len(outs)
        data = unhex(find(fr, "data.data")[0]) if find(fr, "data.data") else b""
        if not last:
            k.eq(f"PDU {n} data length (a full PDU)", len(data), room)
        t = check_pdu_header(k, fr, f"PDU {n}", 0x40 if last else 0x44, 18, inp, (inp["seq"] + n - 1) & 0xFFFF, len(data))
        k.eq(f"PDU {n} checksum status", t.get("cattp.checksum.status"), "1")
        sdu += data
    # TS 102 225 CAT_TP dialect: CPI 01, BER CPL = octets after it
    k.eq("SDU CPI", sdu[:1].hex(), "01")
    if sdu[1] < 0x80:
        cpl, at = sdu[1], 2
    else:
        n = sdu[1] & 0x7F
        cpl, at = int.from_bytes(sdu[2:2 + n], "big"), 2 + n
    k.eq("SDU length vs its BER CPL", at + cpl, len(sdu))
    if "packet" in inp:
        k.eq("SDU", sdu.hex().upper(), inp["packet"].upper())
    else:
        k.eq("SDU SPI, KIc, KID, TAR", sdu[at + 1:at + 8].hex().upper(), (inp["spi"] + inp["kic"] + inp["kid"] + inp["tar"]).upper())
    k.errors_free(frames)


CHECKERS = {"sms": check_sms, "por": check_por, "cattp-pdu": check_cattp_pdu, "cattp": check_cattp}


def main():
    files = sys.argv[1:]
    if not files or files[0] in ("-h", "--help"):
        sys.exit(__doc__)
    try:
        subprocess.run([TSHARK, "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        print(f"tshark-check: tshark not found or not working ({TSHARK}); install it (apt-get install tshark)", file=sys.stderr)
        sys.exit(2)
    cases = checks = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            with open(f) as fh:
                doc = json.load(fh)
            for c in doc["cases"]:
                chk = CHECKERS.get(c["kind"])
                if not chk:
                    continue
                k = Case(c)
                try:
                    chk(k, tmp)
                except Exception as e:  # a decode that does not even have the expected shape
                    k.fails.append(f"{type(e).__name__}: {e}")
                cases += 1
                checks += k.checks
                if k.fails:
                    failed += 1
                    print(f"FAIL {c['id']}")
                    for m in k.fails:
                        print(f"     {m}")
                else:
                    print(f"ok   {c['id']} ({k.checks} checks)")
    print(f"tshark-check: {cases} cases, {checks} checks, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
