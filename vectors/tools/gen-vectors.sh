#!/usr/bin/env bash
# Golden-vector generator: writes vectors/sms-pp-commands.json, vectors/responses.json
# and vectors/cattp-packets.json, then (gen-framing.sh) vectors/sms-pp-framing.json,
# vectors/por-framing.json and vectors/cattp-pdus.json.
#
# Every expected value is computed here, independently of uicc-ota's code, with
# the openssl CLI (ciphers, CBC-MAC, CMAC), xxd/printf (hex <-> octets) and
# vectors/tools/crc.py (CRC-16/X-25, CRC-32 of TS 102 225 clause 5.1.3.2, written
# from the ISO/IEC 13239 definition and self-tested against the catalogue check
# values), assembling each packet step by step as the specifications say:
#   ETSI TS 102 225 clause 5.1 (fields, CHL/CPL; which octets are checksummed,
#   padded, ciphered), 5.1.1-5.1.3 (SPI, KIc, KID, RC/CC length and algorithms),
#   5.2 (response packet) and its CAT_TP dialect (CPI 01 / RPI 02, BER lengths);
#   3GPP TS 31.115 clause 4 (SMS-PP); ETSI TS 102 226 clauses 5.1 and 5.2
#   (compact and expanded scripts); NIST SP 800-38B (AES-CMAC); real-card traces
#   published by pySim (docs/smpp-ota-tool.rst, tests/unittests/test_ota.py) and
#   suma12/asterix.
# Every openssl/python3 command that produced a value is stored, exactly as run
# (from the repository root), in the case's provenance.commands.
# The real-card examples are recomputed too and the script stops if the
# recomputation differs from the quoted trace; their expected hex is the quote.
#
# Usage, from anywhere:  vectors/tools/gen-vectors.sh [OUTDIR]   (default: vectors/)
# Needs: bash 4+, OpenSSL 3 (with the legacy provider for single DES), xxd, python3.
set -euo pipefail
export LC_ALL=C

OUTDIR=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cd "$(dirname "$0")/../.."   # repository root: the recorded commands run from here

die() { echo "gen-vectors: $*" >&2; exit 1; }
command -v openssl >/dev/null || die "openssl not found"
command -v xxd >/dev/null || die "xxd not found"
[[ $(python3 vectors/tools/crc.py --self-test) == ok ]] || die "crc.py self-test failed"
OPENSSL_VERSION=$(openssl version | cut -d' ' -f1-2)

# Test keys. KVN 1 and 2 are the entries of vectors/keysets/test.json (the
# sysmoISIM-SJA2 3DES keys published in pySim docs/smpp-ota-tool.rst and the SJA5
# AES keys of pySim tests/unittests/test_ota.py); the others are made-up test keys given inline in the vectors.
K1_KIC=F09C43EE1A0391665CC9F05AF4E0BD10;  K1_KID=01981F4A20999F62AF99988007BAF6CA
K2_KIC=200102030405060708090A0B0C0D0E0F;  K2_KID=201102030405060708090A0B0C0D0E0F
K3_KIC=3A8C51F2D46E0B97;                  K3_KID=5D1E9C7A20B4F368                      # DES
K4_KIC=0123456789ABCDEFFEDCBA987654321089ABCDEF01234567                                 # 3DES 3-key
K4_KID=1F2E3D4C5B6A79888877665544332211A1B2C3D4E5F60718
K5_KIC=000102030405060708090A0B0C0D0E0F1011121314151617                                 # AES-192
K5_KID=18191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F
K6_KIC=303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F                 # AES-256
K6_KID=505152535455565758595A5B5C5D5E5F606162636465666768696A6B6C6D6E6F
for k in $K1_KIC $K1_KID $K2_KIC $K2_KID; do
  grep -q "$k" vectors/keysets/test.json || die "vectors/keysets/test.json no longer holds key $k"
done

# ------------------------------------------------------------------ helpers
CMDS=()   # commands of the current case
R=''      # result of the last run
run() {   # run one command line (recorded), R = its output as upper-case hex
  CMDS+=("$1")
  R=$(bash -o pipefail -c "$1") || die "command failed: $1"
  R=$(printf '%s' "$R" | tr -d ' \n' | tr 'a-f' 'A-F')
  [[ $R =~ ^([0-9A-F]{2})*$ ]] || die "not hex output from: $1"
}
len() { echo $(( ${#1} / 2 )); }
fill() { local s='' i; for ((i = 0; i < $1; i++)); do s+=$2; done; printf '%s' "$s"; }
hex2() { printf '%02X' "$1"; }
ber() {   # BER-TLV length (TS 102 225 CAT_TP dialect)
  if (( $1 < 128 )); then printf '%02X' "$1"
  elif (( $1 < 256 )); then printf '81%02X' "$1"
  elif (( $1 < 65536 )); then printf '82%04X' "$1"
  else die "length $1 too big"; fi
}
jstr() { local s=$1; s=${s//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
IV8=0000000000000000
IV16=00000000000000000000000000000000

# openssl enc arguments of a cipher named as in KIc (TS 102 225 clause 5.1.2)
enc_args() {
  case $1 in
    des-cbc) echo "-des-cbc -provider legacy -provider default -K $2 -iv $IV8" ;;
    des-ecb) echo "-des-ecb -provider legacy -provider default -K $2" ;;
    3des-2key-cbc) echo "-des-ede-cbc -K $2 -iv $IV8" ;;
    3des-3key-cbc) echo "-des-ede3-cbc -K $2 -iv $IV8" ;;
    aes-cbc) echo "-aes-$(( ${#2} * 4 ))-cbc -K $2 -iv $IV16" ;;
    *) die "no cipher $1" ;;
  esac
}
encrypt() { run "printf %s $3 | xxd -r -p | openssl enc $(enc_args "$1" "$2") -nopad | xxd -p | tr -d '\\n'"; }

# CC (TS 102 225 clause 5.1.3.1): DES/3DES CBC-MAC over the input zero-padded to 8 (last block); AES-CMAC, leftmost octets
cc() {   # alg key hex len
  local alg=$1 key=$2 in=$3 n=$4
  case $alg in
    aes-cmac) run "printf %s $in | xxd -r -p | openssl mac -cipher AES-$(( ${#key} * 4 ))-CBC -macopt hexkey:$key CMAC | cut -c1-$(( n * 2 ))" ;;
    *)
      local c
      case $alg in des-cbc-mac) c=des-cbc ;; 3des-2key-cbc-mac) c=3des-2key-cbc ;; 3des-3key-cbc-mac) c=3des-3key-cbc ;; *) die "no CC $alg" ;; esac
      local pad=$(( (8 - $(len "$in") % 8) % 8 ))
      run "printf %s $in$(fill $pad 00) | xxd -r -p | openssl enc $(enc_args $c "$key") -nopad | tail -c 8 | xxd -p"
      ;;
  esac
}
rc() { run "python3 vectors/tools/crc.py $1 $2"; }

# Algorithm names from the low nibble (TS 102 225 clauses 5.1.2, 5.1.3.1, 5.1.3.2)
kic_alg() { case ${1:1:1} in 1) echo des-cbc ;; 5) echo 3des-2key-cbc ;; 9) echo 3des-3key-cbc ;; D) echo des-ecb ;; 2) echo aes-cbc ;; *) die "KIc $1: no cipher" ;; esac; }
kid_cc_alg() { case ${1:1:1} in 1) echo des-cbc-mac ;; 5) echo 3des-2key-cbc-mac ;; 9) echo 3des-3key-cbc-mac ;; 2) echo aes-cmac ;; *) die "KID $1: no CC" ;; esac; }
kid_rc_alg() { case ${1:1:1} in 1) echo crc16 ;; 5) echo crc32 ;; *) die "KID $1: no RC" ;; esac; }
block() { [[ $1 == aes-cbc ]] && echo 16 || echo 8; }

# Secured data from APDUS (TS 102 226 clause 5.1.1 compact: the case-2/3 APDUs as they are;
# TS 102 226 clause 5.2.1 expanded: AA len, or AE 80 … 00 00, around 22 len C-APDU TLVs)
script_data() {
  local a out='' inner=''
  for a in $APDUS; do
    if [[ -n $EXPANDED ]]; then inner+=22$(ber $(len "$a"))$a
    else
      local p3=$((16#${a:8:2}))
      (( $(len "$a") == 5 || $(len "$a") == 5 + p3 )) || die "$ID: compact APDU $a is not case 2/3"
      out+=$a
    fi
  done
  if [[ -n $EXPANDED ]]; then
    if [[ -n $INDEF ]]; then out=AE80${inner}0000; else out=AA$(ber $(len "$inner"))$inner; fi
  fi
  printf '%s' "$out"
}

# Keys of the current case (KEYSRC: keyset = vectors/keysets/test.json KVN 1/2, inline, none)
keys_for() {   # sets KICKEY KIDKEY from the key set number of KIc / KID
  local n=${KIC:0:1} m=${KID:0:1}
  eval "KICKEY=\${K${n}_KIC:-}"; eval "KIDKEY=\${K${m}_KID:-}"
}

reset_case() {
  ID=''; KIND=command; DIALECT=sms-pp; DESC=''; SPI=''; KIC=00; KID=00; TAR=B00010; CNTR=0; DATA=''; APDUS=''
  EXPANDED=''; INDEF=''; CCLEN=''; STATUS=00; UNSECURED=''; PADBYTE=''; KEYSRC=auto; QUOTED=''; METHOD=''; SOURCE=''
  RESP_JSON=''; CMDS=()
}

# ---------------------------------------------------------------- packets
# Command packet, TS 102 225 clause 5.1 / TS 102 225 CAT_TP dialect (CAT_TP)
make_command() {
  local spi1=$((16#${SPI:0:2}))
  local integ=$(( spi1 & 3 )) ciph=$(( (spi1 >> 2) & 1 ))
  [[ -n $APDUS ]] && DATA=$(script_data)
  L=0; SIGTYPE=none; SIGALG=''
  case $integ in
    1) SIGTYPE=rc; SIGALG=$(kid_rc_alg $KID); [[ $SIGALG == crc16 ]] && L=2 || L=4 ;;
    2) SIGTYPE=cc; SIGALG=$(kid_cc_alg $KID); L=${CCLEN:-8} ;;
  esac
  PCNTR=0; CIPHER=''
  if (( ciph )); then
    CIPHER=$(kic_alg $KIC); local B; B=$(block $CIPHER)
    PCNTR=$(( (B - (6 + L + $(len "$DATA")) % B) % B ))      # TS 102 225 clause 5.1
  fi
  local padded=$DATA$(fill $PCNTR ${PADBYTE:-00})
  CHL=$((13 + L)); CPL=$((1 + CHL + $(len "$padded")))   # TS 102 225 clause 5.1
  local prefix
  if [[ $DIALECT == sms-pp ]]; then prefix=$(printf '%04X' $CPL); else prefix=01$(ber $CPL); fi
  local header; header=$(hex2 $CHL)$SPI$KIC$KID$TAR
  local cntr; cntr=$(printf '%010X' "$CNTR")
  local input=$prefix$header$cntr$(hex2 $PCNTR)$padded    # TS 102 225 clause 5.1: framing, header, CNTR, PCNTR, data, padding
  SIG=''
  case $SIGTYPE in
    rc) rc $SIGALG "$input"; SIG=$R ;;
    cc) cc $SIGALG "$KIDKEY" "$input" $L; SIG=$R ;;
  esac
  local secured=$cntr$(hex2 $PCNTR)$SIG$padded
  if (( ciph )); then encrypt $CIPHER "$KICKEY" "$secured"; secured=$R; fi
  PACKET=$prefix$header$secured
}

# Response packet, TS 102 225 clause 5.2 (SMS-PP: 02 71 00 in the RC/CC input, TS 31.115 clause 4) / TS 102 225 CAT_TP dialect
make_response() {
  local spi2=$((16#${SPI:2:2}))
  local integ=$(( (spi2 >> 2) & 3 )) ciph=$(( (spi2 >> 4) & 1 ))
  if [[ -n $UNSECURED ]]; then integ=0; ciph=0; fi
  L=0; SIGTYPE=none; SIGALG=''
  case $integ in
    1) SIGTYPE=rc; SIGALG=$(kid_rc_alg $KID); [[ $SIGALG == crc16 ]] && L=2 || L=4 ;;
    2) SIGTYPE=cc; SIGALG=$(kid_cc_alg $KID); L=${CCLEN:-8} ;;
  esac
  PCNTR=0; CIPHER=''
  if (( ciph )); then
    CIPHER=$(kic_alg $KIC); local B; B=$(block $CIPHER)
    PCNTR=$(( (B - (7 + L + $(len "$DATA")) % B) % B ))      # TS 102 225 clause 5.2
  fi
  local padded=$DATA$(fill $PCNTR ${PADBYTE:-00})
  RHL=$((10 + L)); RPL=$((1 + RHL + $(len "$padded")))
  local prefix csprefix
  if [[ $DIALECT == sms-pp ]]; then prefix=$(printf '%04X' $RPL); csprefix=027100; else prefix=02$(ber $RPL); csprefix=''; fi
  local header; header=$(hex2 $RHL)$TAR
  local cntr; cntr=$(printf '%010X' "$CNTR")
  local input=$csprefix$prefix$header$cntr$(hex2 $PCNTR)$STATUS$padded
  SIG=''
  case $SIGTYPE in
    rc) rc $SIGALG "$input"; SIG=$R ;;
    cc) cc $SIGALG "$KIDKEY" "$input" $L; SIG=$R ;;
  esac
  local secured=$cntr$(hex2 $PCNTR)$STATUS$SIG$padded
  if (( ciph )); then encrypt $CIPHER "$KICKEY" "$secured"; secured=$R; fi
  PACKET=$prefix$header$secured
}

# ------------------------------------------------------------------ JSON
declare -A OUT_CASES=()
I2='    '
make_packet() {   # PACKET of the current case (command or response), checked against QUOTED
  [[ -n $ID && -n $DESC ]] || die "case without id/description"
  KICKEY=${KICKEY:-}; KIDKEY=${KIDKEY:-}
  if [[ $KIND == command ]]; then make_command; else make_response; fi
  EXPECTED=$PACKET
  if [[ -n $QUOTED ]]; then
    QUOTED=${QUOTED// /}
    [[ $QUOTED == "$PACKET" ]] || die "$ID: recomputation $PACKET differs from the quoted trace $QUOTED"
    EXPECTED=$QUOTED
  fi
}

packet_inputs() {   # INP: the secured-packet inputs of the current case (KIND command/response)
  local inp="\"spi\": \"$SPI\", \"kic\": \"$KIC\", \"kid\": \"$KID\", \"tar\": \"$TAR\", \"counter\": $CNTR"
  if [[ $KIND == command ]]; then
    if [[ -n $APDUS ]]; then
      local a list=''
      for a in $APDUS; do list+="${list:+, }\"$a\""; done
      inp+=", \"apdus\": [$list]"
      [[ -n $EXPANDED ]] && inp+=", \"expanded\": true"
      [[ -n $INDEF ]] && inp+=", \"indefinite\": true"
    else inp+=", \"data\": \"$DATA\""; fi
  else
    inp+=", \"status\": \"$STATUS\", \"data\": \"$DATA\""
    [[ -n $UNSECURED ]] && inp+=", \"unsecured\": true"
  fi
  [[ -n $CCLEN ]] && inp+=", \"ccLen\": $CCLEN"
  [[ -n $PADBYTE ]] && inp+=", \"paddingByte\": \"$PADBYTE\""
  INP=$inp$(key_inputs)
}

key_inputs() {   # the keys the current case needs, as ", "-prefixed JSON members
  local needkic='' needkid='' inp=''
  [[ -n $CIPHER ]] && needkic=1
  [[ $SIGTYPE == cc ]] && needkid=1
  if [[ -n $needkic || -n $needkid ]]; then
    if [[ $KEYSRC == keyset ]]; then inp+=", \"keyset\": \"keysets/test.json\""
    else
      local k=''
      [[ -n $needkic ]] && k+="\"kic\": \"$KICKEY\""
      [[ -n $needkid ]] && k+="${k:+, }\"kid\": \"$KIDKEY\""
      inp+=", \"keys\": { $k }"
    fi
  fi
  printf '%s' "$inp"
}

packet_fields() {   # FLD: expected fields: what the specifications say parse must find (subset of `parse --json`)
  local f
  local ciphered=false; [[ -n $CIPHER ]] && ciphered=true
  local cs
  if [[ $SIGTYPE == none ]]; then cs="{ \"type\": \"none\", \"verified\": null }"
  else cs="{ \"type\": \"$SIGTYPE\", \"algorithm\": \"$SIGALG\", \"value\": \"$SIG\", \"verified\": true }"; fi
  if [[ $KIND == command ]]; then
    f="\"cpl\": $CPL, \"chl\": $CHL"
    [[ $DIALECT == cat_tp ]] && f="\"cpi\": \"01\", $f"
    f+=", \"spi\": { \"hex\": \"$SPI\" }"
    if [[ -n $CIPHER ]]; then f+=", \"kic\": { \"hex\": \"$KIC\", \"kvn\": $((16#${KIC:0:1})), \"algorithm\": \"$CIPHER\" }"
    else f+=", \"kic\": { \"hex\": \"$KIC\" }"; fi
    if [[ $SIGTYPE != none ]]; then f+=", \"kid\": { \"hex\": \"$KID\", \"kvn\": $((16#${KID:0:1})), \"algorithm\": \"$SIGALG\", \"reading\": \"$SIGTYPE\" }"
    else f+=", \"kid\": { \"hex\": \"$KID\" }"; fi
    f+=", \"tar\": \"$TAR\", \"ciphered\": $ciphered"
    [[ -n $CIPHER ]] && f+=", \"cipherAlgorithm\": \"$CIPHER\""
    f+=", \"counter\": $CNTR, \"counterHex\": \"$(printf '%010X' "$CNTR")\", \"pcntr\": $PCNTR, \"checksum\": $cs"
    f+=", \"data\": \"$DATA\", \"padding\": \"$(fill $PCNTR ${PADBYTE:-00})\""
    if [[ -n $APDUS ]]; then
      local a list=''
      for a in $APDUS; do list+="${list:+, }\"$a\""; done
      f+=", \"apdus\": [$list]"
    fi
  else
    f="\"rpl\": $RPL, \"rhl\": $RHL"
    [[ $DIALECT == cat_tp ]] && f="\"rpi\": \"02\", $f"
    f+=", \"tar\": \"$TAR\", \"ciphered\": $ciphered"
    [[ -n $CIPHER ]] && f+=", \"cipherAlgorithm\": \"$CIPHER\""
    f+=", \"counter\": $CNTR, \"pcntr\": $PCNTR, \"status\": { \"code\": \"$STATUS\" }, \"checksum\": $cs"
    f+=", \"data\": \"$DATA\", \"padding\": \"$(fill $PCNTR ${PADBYTE:-00})\""
    [[ -n $RESP_JSON ]] && f+=", \"response\": $RESP_JSON"
  fi
  [[ $SIGTYPE == none ]] && f+=", \"verified\": null" || f+=", \"verified\": true"
  FLD=$f
}

case_json() {   # FILE KIND HEXJSON INPUTS FIELDS [CHECKSJSON]: append one case to FILE
  local file=$1 kind=$2 hexjson=$3 inp=$4 f=$5 checks=${6:-}
  local cmds='' c
  for c in "${CMDS[@]}"; do cmds+="${cmds:+,$'\n'}$I2$I2  $(jstr "$c")"; done
  local method=${METHOD:-"independent computation: $OPENSSL_VERSION CLI, xxd, python3 vectors/tools/crc.py"}
  local source=${SOURCE:-"vectors/tools/gen-vectors.sh: packet assembled step by step per ETSI TS 102 225 clauses 5.1, 5.2 (and its CAT_TP dialect); the commands below computed the RC/CC and the ciphertext"}
  local j
  j="$I2{
$I2  \"id\": $(jstr "$ID"),
$I2  \"kind\": \"$kind\",
$I2  \"dialect\": \"$DIALECT\",
$I2  \"description\": $(jstr "$DESC"),
$I2  \"inputs\": { $inp },${checks:+$'\n'$I2  \"checks\": $checks,}
$I2  \"expected\": {
$I2    \"hex\": $hexjson,
$I2    \"fields\": { $f }
$I2  },
$I2  \"provenance\": {
$I2    \"method\": $(jstr "$method"),
$I2    \"commands\": [${cmds:+$'\n'}$cmds${cmds:+$'\n'$I2    }],
$I2    \"source\": $(jstr "$source")
$I2  }
$I2}"
  OUT_CASES[$file]+="${OUT_CASES[$file]:+,$'\n'}$j"
}

emit() {   # FILE: append the current case (kind command or response: the bare secured packet)
  make_packet
  packet_inputs
  packet_fields
  case_json "$1" "$KIND" "\"$EXPECTED\"" "$INP" "$FLD"
}

write_file() {   # FILE DESCRIPTION
  local tmp=$OUTDIR/.$1.tmp
  {
    printf '{\n  "$schema": "./schema.json",\n  "format": "uicc-ota-vectors/1",\n  "description": %s,\n  "cases": [\n' "$(jstr "$2")"
    printf '%s\n' "${OUT_CASES[$1]}"
    printf '  ]\n}\n'
  } >"$tmp"
  mv "$tmp" "$OUTDIR/$1"
}

# Convenience: choose keys for KIc/KID (keyset for KVN 1/2, inline for the others)
keys() {
  keys_for
  if [[ $KEYSRC == auto ]]; then
    if [[ ${KIC:0:1} =~ ^[12]$ && ${KID:0:1} =~ ^[12]$ ]]; then KEYSRC=keyset; else KEYSRC=inline; fi
  fi
}

SCRIPT_UICC='00A40004023F00 00B0000010'   # SELECT MF, READ BINARY 16 octets (case 3, case 2)
SCRIPT_SIM='A0A40000027F20 A0C0000016'    # SJA2 script (TS 102 226 clause 5.1.1)

# ======================================================== SMS-PP command packets
F=sms-pp-commands.json
cmd() {   # ID SPI KIC KID DESC [more settings applied before]
  ID=$1; SPI=$2; KIC=$3; KID=$4; DESC=$5; [[ -z $APDUS && -z $DATA && -z ${NODATA:-} ]] && APDUS=$SCRIPT_UICC; keys; emit $F
}

reset_case; cmd sms-cmd-none 0000 00 00 'no security at all: SPI 0000, no RC/CC/DS, no ciphering, no PoR'
reset_case; cmd sms-cmd-none-por-submit 0021 00 00 'no security, PoR required and sent as SMS-SUBMIT (SPI2 b6)'
reset_case; cmd sms-cmd-rc-crc16 0101 00 01 'RC CRC-16 (KID x1), not ciphered'
reset_case; cmd sms-cmd-rc-crc32 0101 00 05 'RC CRC-32 (KID x5), not ciphered'
reset_case; cmd sms-cmd-cc-des 0201 31 31 'CC single DES CBC-MAC (KID 31), not ciphered'
reset_case; cmd sms-cmd-cc-3des2 0209 15 15 'CC 3DES 2-key CBC-MAC (KID 15, keyset KVN 1), not ciphered, PoR with CC'
reset_case; cmd sms-cmd-cc-3des3 0201 49 49 'CC 3DES 3-key CBC-MAC (KID 49), not ciphered'
reset_case; cmd sms-cmd-cc-aes128 0201 22 22 'CC AES-128 CMAC (KID 22, keyset KVN 2), 8-octet CC'
reset_case; cmd sms-cmd-cc-aes192 0201 52 52 'CC AES-192 CMAC (KID 52), 8-octet CC'
reset_case; cmd sms-cmd-cc-aes256 0201 62 62 'CC AES-256 CMAC (KID 62), 8-octet CC'
reset_case; CCLEN=4; cmd sms-cmd-cc4-aes128 0201 22 22 'CC AES-128 CMAC truncated to 4 octets (CHL 11)'
reset_case; CCLEN=4; cmd sms-cmd-cc4-aes256-cipher 0601 62 62 'CC AES-256 CMAC 4 octets + AES-256-CBC ciphering (PCNTR with L_sig 4)'
reset_case; cmd sms-cmd-cc-cipher-des-cbc 0601 31 31 'CC DES CBC-MAC + DES-CBC ciphering'
reset_case; cmd sms-cmd-cc-cipher-des-ecb 0601 3D 31 'CC DES CBC-MAC + DES-ECB ciphering (KIc 3D)'
reset_case; cmd sms-cmd-cc-cipher-3des2 0619 15 15 'CC + ciphering 3DES 2-key (keyset KVN 1), PoR CC ciphered'
reset_case; cmd sms-cmd-cc-cipher-3des3 0619 49 49 'CC + ciphering 3DES 3-key'
reset_case; cmd sms-cmd-cc-cipher-aes128 0619 22 22 'CC AES-128 CMAC + AES-128-CBC (keyset KVN 2)'
reset_case; cmd sms-cmd-cc-cipher-aes192 0619 52 52 'CC AES-192 CMAC + AES-192-CBC'
reset_case; cmd sms-cmd-cc-cipher-aes256 0619 62 62 'CC AES-256 CMAC + AES-256-CBC'
reset_case; cmd sms-cmd-cipher-des-cbc 0400 31 31 'ciphering only, DES-CBC (no RC/CC/DS)'
reset_case; cmd sms-cmd-cipher-des-ecb 0400 3D 31 'ciphering only, DES-ECB'
reset_case; cmd sms-cmd-cipher-3des2 0400 15 15 'ciphering only, 3DES 2-key'
reset_case; cmd sms-cmd-cipher-3des3 0400 49 49 'ciphering only, 3DES 3-key'
reset_case; cmd sms-cmd-cipher-aes128 0400 22 22 'ciphering only, AES-128-CBC'
reset_case; cmd sms-cmd-cipher-aes192 0400 52 52 'ciphering only, AES-192-CBC'
reset_case; cmd sms-cmd-cipher-aes256 0400 62 62 'ciphering only, AES-256-CBC'
reset_case; cmd sms-cmd-rc16-cipher-3des2 0501 15 11 'RC CRC-16 + 3DES 2-key ciphering (RC computed over the cipher padding too)'
reset_case; cmd sms-cmd-rc32-cipher-aes128 0501 22 25 'RC CRC-32 + AES-128-CBC ciphering'
reset_case; cmd sms-cmd-rc32-cipher-des-ecb 0501 3D 35 'RC CRC-32 + DES-ECB ciphering'
reset_case; CNTR=5; cmd sms-cmd-counter-none-nonzero 0201 15 15 'counter mode 00 (no counter): CNTR is still sent (5 octets) and covered by the CC'
reset_case; CNTR=1; cmd sms-cmd-counter-available 0A01 15 15 'counter mode 01 (available, no checking), CC'
reset_case; CNTR=$((16#0102030405)); cmd sms-cmd-counter-higher 1201 22 22 'counter mode 10 (higher), CNTR 0102030405, CC AES'
reset_case; CNTR=$((16#00000000FF)); cmd sms-cmd-counter-one-higher 1A01 15 15 'counter mode 11 (exactly one higher), CNTR 255'
reset_case; CNTR=$((16#FFFFFFFFFF)); cmd sms-cmd-counter-max-cipher 1E19 15 15 'counter one-higher + CC + ciphering, CNTR at its maximum FFFFFFFFFF'
reset_case; CNTR=$((16#0000010000)); cmd sms-cmd-counter-higher-cipher-aes 1639 62 62 'SPI 1639 (TS 102 225 clause 5.1.1 coding: CC, ciphering, counter higher, PoR via SUBMIT CC ciphered), AES-256'
reset_case; NODATA=1; cmd sms-cmd-empty-none 0000 00 00 'empty secured data, no security'; NODATA=
reset_case; NODATA=1; cmd sms-cmd-empty-cc 0201 15 15 'empty secured data, CC 3DES (CC over the header alone)'; NODATA=
reset_case; NODATA=1; cmd sms-cmd-empty-cc-cipher-aes 0601 22 22 'empty secured data, CC + AES ciphering (PCNTR 2)'; NODATA=
reset_case; NODATA=1; cmd sms-cmd-empty-rc-cipher-des 0501 31 35 'empty secured data, RC CRC-32 + DES-CBC (PCNTR 6)'; NODATA=
reset_case; DATA=00A40004023F0000B0; cmd sms-cmd-pcntr0-3des 0601 15 15 'ciphered part fills whole blocks exactly: PCNTR 0 (6+8+10 = 24), raw data'
reset_case; DATA=0102030405060708090A0B0C0D0E0F101112; cmd sms-cmd-pcntr0-aes 0601 22 22 'AES: 6+8+18 = 32, PCNTR 0, raw data'
reset_case; DATA=$(fill 100 5A); cmd sms-cmd-long-cc-cipher-3des2 0619 15 15 'longest single-SMS size class: 100 octets of raw data, CC + 3DES (packet 130 octets, CPL 0080)'
reset_case; APDUS=$SCRIPT_UICC; EXPANDED=1; cmd sms-cmd-expanded-cc-cipher-3des2 0619 15 15 'expanded remote APDU format (AA definite template, TS 102 226 clause 5.2.1), CC + 3DES'
reset_case; APDUS='80F28000024F0000 80CA006600'; EXPANDED=1; INDEF=1; cmd sms-cmd-expanded-indef-cc-cipher-aes 0619 22 22 'expanded format, indefinite template AE 80 … 00 00, case-4 APDU kept whole, CC + AES'

# ---- real cards and worked examples
reset_case; APDUS=$SCRIPT_SIM; KEYSRC=keyset
QUOTED='0028 15 0619 15 15 B00010 DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D'
METHOD='real-card trace (quoted), recomputed with the openssl CLI'
SOURCE='real sysmoISIM-SJA2 round trip published in pySim docs/smpp-ota-tool.rst; SMS user data = 02 70 00 ‖ this packet'
cmd card-sja2-3des-cc-cipher 0619 15 15 'sysmoISIM-SJA2: 3DES 2-key CC + ciphering, SPI 0619, TAR B00010, CNTR 0 (CC 78CFE8C148CC3556)'

reset_case; APDUS=$SCRIPT_SIM; KEYSRC=keyset; CNTR=100
QUOTED=00281516191515B000103A4F599E94F2B5DCFBBDA984761B7977DF6514C57A580FB4844787C436D2EADE
METHOD='real-card trace (quoted), recomputed with the openssl CLI'
SOURCE='real sysmoISIM-SJA2, counter mode, published in pySim docs/smpp-ota-tool.rst; the UD 027000… quoted there minus the UDH'
cmd card-sja2-3des-counter 1619 15 15 'sysmoISIM-SJA2: SPI 1619 (counter higher), CNTR 0000000064'

reset_case; APDUS='00A40004023F00'; KEYSRC=keyset; TAR=B00011
QUOTED=00281506192222B00011E87CCEEBB2D93083011CE294F93FC4D8DE80DA1ABAE8C37CA3E72EC4432E5058
METHOD='real-card trace (quoted), recomputed with the openssl CLI'
SOURCE='real sysmoISIM-SJA5, AES-128: pySim tests/unittests/test_ota.py dataset AES128-SJA5-CIPHERED-CC'
cmd card-sja5-aes-cc-cipher 0619 22 22 'sysmoISIM-SJA5: AES-128 CMAC + AES-CBC, KIc/KID 22, TAR B00011 (CC ECBAB1F8F55502C5, PCNTR 11)'

reset_case; DATA=80CA00E00000C0000000; TAR=C00000; CNTR=$((16#76)); KEYSRC=inline; KIC=15; KID=15
keys_for; KICKEY=263B48DBCBC1C21C0AA13E4D4516C446
QUOTED=00201115351515C000004D5C2C7F43D3E774316C66CE8E1D5045755BACEF5DC83203
METHOD='real-card trace (quoted), recomputed with the openssl CLI and crc.py'
SOURCE='real Gemalto card, CRC-32 + 3DES: suma12/asterix asterix/SecurePacket.py test_SPI1531 and its card-tool log'
ID=card-gemalto-crc32-3des; SPI=1535; DESC='Gemalto: RC CRC-32 + 3DES 2-key ciphering, counter higher, SPI 1535, TAR C00000, CNTR 0x76 (RC 155D3A1A)'; emit $F

reset_case; APDUS=$SCRIPT_SIM; KEYSRC=keyset; CNTR=1
QUOTED='0022 15 0209 15 15 B00010 0000000001 00 826D5654A08AF149 A0A40000027F20A0C0000016'
METHOD='worked example (constructed per ETSI TS 102 225 clause 5.1), computed with the openssl CLI'
SOURCE='ETSI TS 102 225 clause 5.1: unciphered CC-only command with the sysmoISIM-SJA2 keys of pySim docs/smpp-ota-tool.rst; CPL present and covered (a real eUICC command of pySim tests/unittests/test_ota.py verifies only so)'
cmd example-cc-only-3des 0209 15 15 'unciphered CC-only command, SPI 0209, CNTR 1 (CC 826D5654A08AF149)'

reset_case; APDUS='80F28000024F0000'; EXPANDED=1; KEYSRC=inline; KIC=12; KID=12; TAR=B00000; CNTR=2
KICKEY=207C5D2C1AA80D58CD8F542FB9EF2F80; KIDKEY=312367F1681902FD67D9A71C62A840E3
QUOTED=00281516091212B00000DD103B36C3BFBE9AA58BCE50D15DE123EE350BB19951DE24FD879A26FF252234
METHOD='real-card trace (quoted), recomputed with the openssl CLI'
SOURCE='real eUICC, AES-128, expanded format (ETSI TS 102 226 clause 5.2): pySim branch laforge/ota tests/unittests/test_ota.py, AES128-eSIM datasets'
ID=card-euicc-aes-expanded; SPI=1609; DESC='eUICC: AES-128 CC + ciphering, SPI 1609, CNTR 2, expanded script AA0A 22 08 80F28000024F0000 (GET STATUS)'; emit $F

write_file $F 'SMS-PP command packets (3GPP TS 31.115 / ETSI TS 102 225 cl. 5.1): every SPI combination, every cipher and CC/RC algorithm and key length; the packet from CPL on (the UDH 02 70 00 is not part of it). Generated by vectors/tools/gen-vectors.sh, independently of uicc-ota.'

# ============================================================ response packets
F=responses.json
por() {   # ID SPI KIC KID DESC
  ID=$1; SPI=$2; KIC=$3; KID=$4; DESC=$5; KIND=response; keys; emit $F
}
RESP_019000='{ "scriptFormat": "compact", "executed": 1, "sw": "9000" }'

reset_case; DATA=019000; RESP_JSON=$RESP_019000; por sms-por-none 0001 00 00 'PoR without security (SPI2 01), compact response 01 9000'
reset_case; DATA=019000; RESP_JSON=$RESP_019000; por sms-por-submit-none 0021 00 00 'PoR via SMS-SUBMIT (SPI2 21) without security'
reset_case; DATA=019000; por sms-por-rc-crc16 0105 00 01 'PoR RC CRC-16 (SPI2 05, KID x1): the RC covers 02 71 00 first'
reset_case; DATA=019000; por sms-por-rc-crc32 0105 00 05 'PoR RC CRC-32 (SPI2 05, KID x5)'
reset_case; DATA=019000; por sms-por-cc-des 0209 31 31 'PoR CC DES CBC-MAC, not ciphered'
reset_case; DATA=019000; por sms-por-cc-3des2 0209 15 15 'PoR CC 3DES 2-key, not ciphered'
reset_case; DATA=019000; por sms-por-cc-3des3 0209 49 49 'PoR CC 3DES 3-key, not ciphered'
reset_case; DATA=019000; por sms-por-cc-aes128 0209 22 22 'PoR CC AES-128 CMAC, not ciphered'
reset_case; DATA=019000; por sms-por-cc-aes192 0209 52 52 'PoR CC AES-192 CMAC, not ciphered'
reset_case; DATA=019000; por sms-por-cc-aes256 0209 62 62 'PoR CC AES-256 CMAC, not ciphered'
reset_case; DATA=019000; CCLEN=4; por sms-por-cc4-aes128 0209 22 22 'PoR CC AES-128 CMAC, 4 octets (RHL 0E)'
reset_case; DATA=019000; por sms-por-cc-cipher-des-cbc 0619 31 31 'PoR CC + DES-CBC'
reset_case; DATA=019000; por sms-por-cc-cipher-des-ecb 0619 3D 31 'PoR CC + DES-ECB'
reset_case; DATA=019000; por sms-por-cc-cipher-3des2 0619 15 15 'PoR CC + 3DES 2-key'
reset_case; DATA=019000; por sms-por-cc-cipher-3des3 0619 49 49 'PoR CC + 3DES 3-key'
reset_case; DATA=019000; por sms-por-cc-cipher-aes128 0619 22 22 'PoR CC + AES-128'
reset_case; DATA=019000; por sms-por-cc-cipher-aes192 0619 52 52 'PoR CC + AES-192'
reset_case; DATA=019000; por sms-por-cc-cipher-aes256 0619 62 62 'PoR CC + AES-256'
reset_case; DATA=019000; por sms-por-cipher-3des2 0411 15 15 'PoR ciphered only (SPI2 11), 3DES 2-key'
reset_case; DATA=019000; por sms-por-cipher-aes128 0411 22 22 'PoR ciphered only, AES-128'
reset_case; DATA=019000; por sms-por-rc16-cipher-3des2 0515 15 11 'PoR RC CRC-16 + 3DES 2-key'
reset_case; DATA=019000; por sms-por-rc32-cipher-aes128 0535 22 25 'PoR RC CRC-32 + AES-128, via SMS-SUBMIT (SPI2 35)'
reset_case; por sms-por-empty-cc-cipher-3des2 0619 15 15 'PoR with no additional data, CC + 3DES'
reset_case; CNTR=$((16#0102030405)); DATA=019000; por sms-por-counter-cc-cipher-aes 1639 22 22 'PoR echoing CNTR 0102030405, SPI 1639 (CC + ciphered, via SUBMIT)'
reset_case; STATUS=01; UNSECURED=1; por sms-por-error-unsecured-3des 0619 15 15 'error PoR (status 01 RC/CC/DS failed) sent unciphered and without CC although SPI2 asks for both (RHL 0A)'
reset_case; STATUS=0B; por sms-por-status-0b-cc 0209 15 15 'status 0B (response will follow by SMS-SUBMIT), no data, with CC'
reset_case; DATA=AB0780010123026D00; por sms-por-expanded-cc-cipher-aes 0619 22 22 'expanded response data (AB template), CC + AES'
reset_case; DATA=016132; PADBYTE=80; por sms-por-padding-80-aes 0619 22 22 'AES PoR whose cipher padding octets are 80, not 00 (the receiver strips PCNTR octets whatever they hold, TS 102 225 clause 5.1): the CC covers the padding as sent'

# ---- real cards
reset_case; KEYSRC=keyset; DATA=0290000000FFFF7F2002000000000009B106350400838A838A
QUOTED=002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39
METHOD='real-card trace (quoted), recomputed with the openssl CLI'
SOURCE='real sysmoISIM-SJA2 PoR published in pySim docs/smpp-ota-tool.rst; UD 027100 ‖ this packet; CC 8FEAF52EF40EC214 over 02 71 00 ‖ RPL…'
RESP_JSON='{ "scriptFormat": "compact", "executed": 2, "sw": "9000", "data": "0000FFFF7F2002000000000009B106350400838A838A" }'
por card-sja2-por-3des-cc-cipher 0619 15 15 'sysmoISIM-SJA2 PoR: CC + 3DES, status 00, 2 commands, SW 9000 + 22 octets'

reset_case; KEYSRC=keyset; STATUS=06; UNSECURED=1
QUOTED='000B 0A B00010 0000000000 00 06'
METHOD='real-card trace (quoted)'
SOURCE='real sysmoISIM-SJA2 answer to a replayed counter, published in pySim docs/smpp-ota-tool.rst; UD 027100 000B 0A B00010 0000000000 00 06'
por card-sja2-por-replay-06 1619 15 15 'sysmoISIM-SJA2: replayed counter answered with status 06, unsecured although the SPI asked for CC + ciphering'

reset_case; KEYSRC=keyset; TAR=B00011; DATA=016132
QUOTED=002412B00011EBC6B497E2CAD7AEDF36ACE0E3A29B38853F0FE9CCDE81913BE5702B73ABCE1F
METHOD='real-card trace (quoted), recomputed with the openssl CLI'
SOURCE='real sysmoISIM-SJA5 AES PoR: pySim tests/unittests/test_ota.py AES128-SJA5-CIPHERED-CC'
RESP_JSON='{ "scriptFormat": "compact", "executed": 1, "sw": "6132" }'
por card-sja5-por-aes-cc-cipher 0619 22 22 'sysmoISIM-SJA5 PoR: AES CMAC + AES-CBC, PCNTR 14, data 01 6132'

reset_case; TAR=C00000; CNTR=$((16#76)); KEYSRC=inline; KIC=15; KID=15; DATA=019000E012C00401018210C00402018210C00403018210
QUOTED=002C0EC00000888B39C361C66D5F3DC4EFCEF508CC228021DD34E577B147E54EFF18B3922C9176644E2E8AA9A695
METHOD='real-card trace (quoted), recomputed with the openssl CLI and crc.py'
SOURCE='real Gemalto card: the FETCHed SEND SHORT MESSAGE (UD 02 71 00 ‖ this packet), decryption and CRC-32 A343BCAE; suma12/asterix asterix/SecurePacket.py card-tool log'
RESP_JSON='{ "scriptFormat": "compact", "executed": 1, "sw": "9000", "data": "E012C00401018210C00402018210C00403018210" }'
keys_for; KICKEY=263B48DBCBC1C21C0AA13E4D4516C446
ID=card-gemalto-por-crc32-3des; SPI=1535; KIND=response; DESC='Gemalto PoR via SMS-SUBMIT: RC CRC-32 + 3DES, CNTR 0x76, PCNTR 6'; emit $F

reset_case; KEYSRC=inline; KIC=12; KID=12; TAR=B00000; STATUS=0A
KICKEY=207C5D2C1AA80D58CD8F542FB9EF2F80; KIDKEY=312367F1681902FD67D9A71C62A840E3
QUOTED='000B 0A B00000 0000000000 00 0A'
METHOD='real-card trace (quoted)'
SOURCE='real eUICC: unciphered CC-only command to a TAR with a higher MSL; pySim branch laforge/ota tests/unittests/test_ota.py'
ID=card-euicc-por-msl-0a; SPI=0201; KIND=response; DESC='eUICC PoR status 0A (insufficient security level), no security'; emit $F

reset_case; KEYSRC=inline; KIC=12; KID=12; TAR=B00000; CNTR=2; DATA=AB0780010123026D00
KICKEY=207C5D2C1AA80D58CD8F542FB9EF2F80; KIDKEY=312367F1681902FD67D9A71C62A840E3
QUOTED='001C 12 B00000 0000000002 00 00 7DB7086951F7DB55 AB0780010123026D00'
METHOD='real-card trace (quoted), recomputed with the openssl CLI'
SOURCE='real eUICC: unciphered PoR with CMAC over 02 71 00 + header + data; pySim branch laforge/ota tests/unittests/test_ota.py'
ID=card-euicc-por-aes-cc-expanded; SPI=1609; KIND=response; DESC='eUICC PoR: AES CMAC, not ciphered (SPI2 09), CNTR 2, expanded response AB07 80 01 01 23 02 6D00'; emit $F

write_file $F 'Response packets / PoR (ETSI TS 102 225 cl. 5.2, SMS-PP per 3GPP TS 31.115: the UDH octets 02 71 00 enter the RC/CC but are not part of the packet shown): every PoR security (none, RC, CC, ciphered or not, each algorithm) and real-card PoRs. inputs.spi/kic/kid are those of the command. Generated by vectors/tools/gen-vectors.sh, independently of uicc-ota.'

# ============================================================ CAT_TP dialect
F=cattp-packets.json
ccmd() { ID=$1; SPI=$2; KIC=$3; KID=$4; DESC=$5; DIALECT=cat_tp; [[ -z $APDUS && -z $DATA ]] && APDUS=$SCRIPT_UICC; keys; emit $F; }
cpor() { ID=$1; SPI=$2; KIC=$3; KID=$4; DESC=$5; DIALECT=cat_tp; KIND=response; keys; emit $F; }

reset_case; ccmd cattp-cmd-none 0000 00 00 'CAT_TP command (CPI 01, BER CPL), no security'
reset_case; ccmd cattp-cmd-rc-crc16 0101 00 01 'CAT_TP command, RC CRC-16 over CPI ‖ CPL ‖ CHL …'
reset_case; ccmd cattp-cmd-rc-crc32 0101 00 05 'CAT_TP command, RC CRC-32'
reset_case; ccmd cattp-cmd-cc-3des2 0209 15 15 'CAT_TP command, CC 3DES 2-key, not ciphered'
reset_case; ccmd cattp-cmd-cc-aes128 0201 22 22 'CAT_TP command, CC AES-128 CMAC'
reset_case; ccmd cattp-cmd-cc-cipher-des-cbc 0601 31 31 'CAT_TP command, CC + DES-CBC'
reset_case; ccmd cattp-cmd-cc-cipher-3des3 0609 49 49 'CAT_TP command, CC + 3DES 3-key'
reset_case; ccmd cattp-cmd-cc-cipher-aes256 0609 62 62 'CAT_TP command, CC + AES-256'
reset_case; CCLEN=4; ccmd cattp-cmd-cc4-cipher-aes192 0601 52 52 'CAT_TP command, CC AES-192 4 octets + AES-192'
reset_case; ccmd cattp-cmd-cipher-des-ecb 0400 3D 31 'CAT_TP command, ciphering only, DES-ECB'
reset_case; ccmd cattp-cmd-rc32-cipher-aes192 0501 52 55 'CAT_TP command, RC CRC-32 + AES-192'
reset_case; CNTR=$((16#0A0B0C0D0E)); ccmd cattp-cmd-counter-one-higher-cc-cipher 1E09 15 15 'CAT_TP command, counter one-higher + CC + 3DES, CNTR 0A0B0C0D0E'
reset_case; APDUS="00D6000078$(fill 120 A5)"; ccmd cattp-cmd-long-81-cc-cipher-aes128 0609 22 22 'CAT_TP command with CPL ≥ 128: BER 81 xx (UPDATE BINARY of 120 octets), CC + AES'
reset_case; DATA=$(fill 300 3C); ccmd cattp-cmd-long-82-cc-cipher-3des2 0609 15 15 'CAT_TP command with CPL ≥ 256: BER 82 xx xx (300 octets of raw data), CC + 3DES'
reset_case; APDUS=$SCRIPT_UICC; EXPANDED=1; ccmd cattp-cmd-expanded-cc-aes128 0209 22 22 'CAT_TP command with an expanded script, CC AES'

reset_case; APDUS=$SCRIPT_SIM; KEYSRC=keyset
QUOTED=01281506091515B00010064105D61C8EB15B1810B3180734F2FA13BC3D285881CF8594299C9C9D126808
METHOD='worked example (constructed per the CAT_TP dialect of ETSI TS 102 225, not card-verified), computed with the openssl CLI'
SOURCE='ETSI TS 102 225 CAT_TP dialect with the sysmoISIM-SJA2 keys of pySim docs/smpp-ota-tool.rst; CC 550594D33098D06C; the packet is the data of a CAT_TP PDU decoded by tshark (Wireshark CAT-TP dissector)'
ccmd example-cattp-3des-cc-cipher 0609 15 15 'CAT_TP worked example: SPI 0609, 3DES 2-key CC + ciphering'

reset_case; DATA=019000; RESP_JSON=$RESP_019000; cpor cattp-por-none 0001 00 00 'CAT_TP PoR (RPI 02), no security'
reset_case; DATA=019000; cpor cattp-por-rc-crc16 0105 00 01 'CAT_TP PoR, RC CRC-16 over RPI ‖ RPL ‖ RHL … (no UDH octets)'
reset_case; DATA=019000; cpor cattp-por-rc-crc32 0105 00 05 'CAT_TP PoR, RC CRC-32'
reset_case; DATA=019000; cpor cattp-por-cc-3des2 0209 15 15 'CAT_TP PoR, CC 3DES 2-key, not ciphered'
reset_case; DATA=019000; cpor cattp-por-cc-cipher-aes128 0619 22 22 'CAT_TP PoR, CC + AES-128'
reset_case; DATA=019000; cpor cattp-por-cc-cipher-3des3 0619 49 49 'CAT_TP PoR, CC + 3DES 3-key'
reset_case; DATA=019000; cpor cattp-por-cipher-des-cbc 0411 31 31 'CAT_TP PoR, ciphered only, DES-CBC'
reset_case; DATA=019000; cpor cattp-por-rc32-cipher-aes256 0515 62 65 'CAT_TP PoR, RC CRC-32 + AES-256'
reset_case; STATUS=09; UNSECURED=1; cpor cattp-por-error-unsecured 0619 15 15 'CAT_TP error PoR (status 09 TAR unknown), unsecured although the SPI asked for CC + ciphering'
reset_case; DATA=01900000$(fill 140 EE); cpor cattp-por-long-81-cc-cipher-aes128 0619 22 22 'CAT_TP PoR with RPL ≥ 128 (BER 81 xx), CC + AES'

write_file $F 'Secured packets in the CAT_TP (and TCP/IP) dialect of ETSI TS 102 225: CPI 01 / RPI 02 and BER-TLV lengths, all three inside the RC/CC input. Commands and PoRs with each security. Generated by vectors/tools/gen-vectors.sh, independently of uicc-ota.'

# Framing layers (SMS-PP user data / TPDUs / ENVELOPEs / SEND SHORT MESSAGE, CAT_TP PDUs)
. vectors/tools/gen-framing.sh

echo "gen-vectors: wrote $OUTDIR/sms-pp-commands.json $OUTDIR/responses.json $OUTDIR/cattp-packets.json $OUTDIR/sms-pp-framing.json $OUTDIR/por-framing.json $OUTDIR/cattp-pdus.json" >&2
