"""pySim's OTA encoder/decoder on the bench's inputs (bench/bench.ts, section pysim).

Reads one JSON object on stdin:
  {"kic": hex, "kid": hex, "algoCrypt": "triple_des_cbc2" | "aes_cbc",
   "algoAuth": "triple_des_cbc2" | "aes_cmac", "kvn": int, "spi": hex, "tar": hex,
   "counter": int, "datas": [hex, ...], "packets": [hex, ...]}
(datas[i] goes with CNTR counter + i, as `build sms --each` numbers its lines)
where packets[i] is the command packet uicc-ota built for datas[i] (TS 102 225
cl. 5.1, SMS-PP dialect of TS 31.115: CPL first). Writes one JSON object:
  {"encodePerCpuSecond", "decodePerCpuSecond", "identical", "decodedOk", "n", "pySim"}
identical: how many of pySim's encode_cmd outputs equal uicc-ota's packet octet
for octet; decodedOk: how many of uicc-ota's packets pySim's decode_cmd
deciphers, with a CC it verifies and the same secured data back.
Timing is CPU time of this process (time.process_time), loops only.
"""
import json
import sys
import time

import pySim.ota as ota


def main():
    job = json.load(sys.stdin)
    spi = ota.SPI.parse(bytes.fromhex(job["spi"]))
    tar = bytes.fromhex(job["tar"])
    datas = [bytes.fromhex(d) for d in job["datas"]]
    ours = [bytes.fromhex(p) for p in job["packets"]]
    kvn = job["kvn"]
    k = ota.OtaKeyset(algo_crypt=job["algoCrypt"], kic_idx=kvn, kic=bytes.fromhex(job["kic"]),
                      algo_auth=job["algoAuth"], kid_idx=kvn, kid=bytes.fromhex(job["kid"]),
                      cntr=job["counter"])
    dialect = ota.OtaDialectSms()

    t0 = time.process_time()
    theirs = []
    for i, d in enumerate(datas):
        k.cntr = job["counter"] + i
        theirs.append(dialect.encode_cmd(k, tar, spi, d))
    t1 = time.process_time()
    decoded = 0
    for p, d in zip(ours, datas):
        try:
            _tar, _spi, apdu = dialect.decode_cmd(k, p)
        except Exception:  # a CC pySim does not verify counts as not decoded
            continue
        if _tar == tar and apdu == d:
            decoded += 1
    t2 = time.process_time()

    n = len(datas)
    json.dump({
        "n": n,
        "encodePerCpuSecond": n / max(t1 - t0, 1e-6),
        "decodePerCpuSecond": len(ours) / max(t2 - t1, 1e-6),
        "identical": sum(1 for a, b in zip(theirs, ours) if a == b),
        "decodedOk": decoded,
        "pySim": getattr(ota, "__file__", "pySim.ota"),
    }, sys.stdout)


if __name__ == "__main__":
    main()
