# Golden vectors of the framing layers, sourced by gen-vectors.sh (which defines
# reset_case, make_packet, packet_inputs, key_inputs, packet_fields, case_json,
# write_file, run): writes vectors/sms-pp-framing.json, vectors/por-framing.json
# and vectors/cattp-pdus.json.
#
# The secured packets come from gen-vectors.sh's own computation (openssl, crc.py);
# every framing layer is then assembled by vectors/tools/framing.py, written from
# the field layouts of 3GPP TS 31.115 clause 4, TS 23.040 clauses 9.2.2.1, 9.2.2.1a,
# 9.2.2.2 and 9.2.3.24, TS 31.111 clause 7.1.1.2, ETSI TS 102 223 clause 6.4.10 and
# ETSI TS 102 127 (not from uicc-ota), and every framing.py command that produced
# an output is stored in the case's provenance.commands. The expected fields are
# written here from the same layouts. Real-card traces and the tshark-checked
# examples are recomputed and the script stops if the recomputation differs from the quote.

FR='python3 vectors/tools/framing.py'
[[ $($FR --self-test) == ok ]] || die "framing.py self-test failed"

runl() {   # run one command line (recorded); RL = its output lines as upper-case hex
  CMDS+=("$1")
  local out l
  out=$(bash -o pipefail -c "$1") || die "command failed: $1"
  mapfile -t RL <<<"$(printf '%s' "$out" | tr 'a-f' 'A-F')"
  for l in "${RL[@]}"; do [[ $l =~ ^([0-9A-F]{2})+$ ]] || die "not hex output from: $1"; done
}
jlist() { local s='' a; for a in "$@"; do s+="${s:+, }$a"; done; printf '[%s]' "$s"; }
jhex() { local s='' a; for a in "$@"; do s+="${s:+, }\"$a\""; done; printf '[%s]' "$s"; }
bcd() { local d=$1 o='' i; (( ${#d} % 2 )) && d+=F; for ((i = 0; i < ${#d}; i += 2)); do o+=${d:i+1:1}${d:i:1}; done; printf '%s' "$o"; }
udbody() { printf '%s' "${1:$(( (16#${1:0:2} + 1) * 2 ))}"; }   # TP-UD after UDHL and UDH

FDEFAULT_METHOD="independent computation: $OPENSSL_VERSION CLI, xxd, python3 vectors/tools/crc.py (secured packet), python3 vectors/tools/framing.py (framing)"

reset_frame() {
  reset_case
  FMT=''; OA=''; OATON=''; OANPI=''; FPID=''; FDCS=''; SCTS=''; SMSC=''; CREF=''; C16=''; DA=''; PKTIN=''; FQUOTED=''; CHECKS=''
  ALPHA_EMPTY=''; FCS=''; KICKEY_OVR=''
}

# effective address: "+…" means international (TON 1) unless a TON is given; NPI default 1 (ISDN)
addr_eff() {   # DIGITS TON NPI -> A_DIG A_TON A_NPI
  A_DIG=${1#+}
  if [[ -n $2 ]]; then A_TON=$2; elif [[ $1 == +* ]]; then A_TON=1; else A_TON=0; fi
  A_NPI=${3:-1}
}
addr_json() {   # with the TP address octets (length, type of address, BCD) when WITHHEX is set
  local j="{ \"digits\": \"$A_DIG\", \"ton\": $A_TON, \"npi\": $A_NPI"
  [[ -n ${1:-} ]] && j+=", \"hex\": \"$(hex2 ${#A_DIG})$(hex2 $(( 0x80 | A_TON << 4 | A_NPI )))$(bcd "$A_DIG")\""
  printf '%s }' "$j"
}
ie_json() {   # IEI DATA STYLE(num|str)
  printf '{ "iei": "%s", "data": "%s" }' "$1" "$2"   # JSON v1: octet values are hex strings
}
udh_json() {   # K N IEI STYLE: the IEs of segment K of N (TS 31.115 clause 4, TS 23.040 clause 9.2.3.24)
  local k=$1 n=$2 iei=$3 st=$4 l=()
  if (( n > 1 )); then
    if [[ -n $C16 ]]; then l+=("$(ie_json 08 "$(printf '%04X' "${CREF:-0}")$(hex2 $n)$(hex2 $k)" $st)")
    else l+=("$(ie_json 00 "$(hex2 "${CREF:-0}")$(hex2 $n)$(hex2 $k)" $st)"); fi
  fi
  (( k == 1 )) && l+=("$(ie_json $iei '' $st)")
  jlist "${l[@]}"
}
concat_json() {   # IEI N PACKET: the reassembly layer of parse --json
  local o=() k
  for ((k = 1; k <= $2; k++)); do o+=($k); done
  printf '{ "layer": "concatenated SMS", "packet": "%s", "iei": "%s", "ref": %d, "refBits": %d, "total": %d, "order": %s }' \
    "$3" "$1" "${CREF:-0}" "$([[ -n $C16 ]] && echo 16 || echo 8)" "$2" "$(jlist "${o[@]}")"
}

# ------------------------------------------------------------------ sms
# SMS-DELIVER fields as parse --json shows them (TS 23.040 clause 9.2.2.1)
deliver_json() {   # K N UD
  addr_eff "${OA:-12345678}" "$OATON" "$OANPI"
  printf '{ "type": "SMS-DELIVER", "mti": 0, "mms": true, "udhi": true, "oa": %s, "pid": "%s", "dcs": "%s", "scts": { "hex": "%s" }, "udl": %d, "udh": %s, "body": "%s" }' \
    "$(addr_json hex)" "${FPID:-7F}" "${FDCS:-F6}" "${SCTS:-62101000000000}" $(len "$3") "$(udh_json $1 $2 70 num)" "$(udbody "$3")"
}
envelope_json() {   # K N UD ENV (TS 31.111 clause 7.1.1.2)
  local ad=null
  if [[ -n $SMSC ]]; then addr_eff "$SMSC" '' ''; ad=$(addr_json); fi
  printf '{ "cla": "80", "ins": "C2", "p1": "00", "p2": "00", "lc": %d, "le": null, "tag": "D1", "deviceIdentities": { "source": "83", "destination": "81" }, "address": %s, "tpdu": %s }' \
    $(( $(len "$4") - 5 )) "$ad" "$(deliver_json $1 $2 "$3")"
}

frame_sms() {   # FILE: the current case as kind sms
  local file=$1
  make_packet
  local refopt=''
  [[ -n $CREF ]] && refopt+=" --ref $CREF"
  [[ -n $C16 ]] && refopt+=' --ref16'
  runl "$FR ud $PACKET$refopt"
  local uds=("${RL[@]}") outs=() tps=() u
  addr_eff "${OA:-12345678}" "$OATON" "$OANPI"
  local dargs="--oa $A_DIG --ton $A_TON --npi $A_NPI --pid ${FPID:-7F} --dcs ${FDCS:-F6} --scts ${SCTS:-62101000000000}"
  local sargs=''
  if [[ -n $SMSC ]]; then addr_eff "$SMSC" '' ''; sargs=" --smsc $A_DIG --smsc-ton $A_TON --smsc-npi $A_NPI"; fi
  for u in "${uds[@]}"; do
    if [[ $FMT == ud ]]; then outs+=("$u"); continue; fi
    runl "$FR deliver $u $dargs"; tps+=("${RL[0]}")
    if [[ $FMT == tpdu ]]; then outs+=("${RL[0]}"); continue; fi
    runl "$FR envelope ${RL[0]}$sargs"; outs+=("${RL[0]}")
  done
  if [[ -n $FQUOTED ]]; then
    local q; q=$(printf '%s' "$FQUOTED" | tr -d ' ')
    [[ $q == "$(printf '%s' "${outs[@]}")" ]] || die "$ID: recomputation ${outs[*]} differs from the quoted trace $FQUOTED"
  fi
  local n=${#uds[@]} k
  # inputs
  local inp
  if [[ -n $PKTIN ]]; then inp="\"packet\": \"$PACKET\"$(key_inputs)"; else packet_inputs; inp=$INP; fi
  inp+=", \"format\": \"$FMT\""
  [[ -n $OA ]] && inp+=", \"oa\": \"$OA\""
  [[ -n $OATON ]] && inp+=", \"ton\": $OATON"
  [[ -n $OANPI ]] && inp+=", \"npi\": $OANPI"
  [[ -n $FPID ]] && inp+=", \"pid\": \"$FPID\""
  [[ -n $FDCS ]] && inp+=", \"dcs\": \"$FDCS\""
  [[ -n $SCTS ]] && inp+=", \"scts\": \"$SCTS\""
  [[ -n $SMSC ]] && inp+=", \"smsc\": \"$SMSC\""
  [[ -n $CREF ]] && inp+=", \"concatRef\": $CREF"
  [[ -n $C16 ]] && inp+=", \"concat16\": true"
  # fields
  packet_fields
  local outer=() segs=() framing
  case $FMT in
    ud) outer=('"user data"') ;;
    tpdu) outer=('"SMS-DELIVER"' '"user data"') ;;
    envelope) outer=('"ENVELOPE"' '"SMS-DELIVER"' '"user data"') ;;
  esac
  for ((k = 1; k <= n; k++)); do
    u=${uds[k-1]}
    case $FMT in
      ud) segs+=("{ \"udh\": $(udh_json $k $n 70 num), \"packet\": \"$(udbody "$u")\", \"iei\": $( ((k == 1)) && echo '"70"' || echo null) }") ;;
      tpdu) segs+=("$(deliver_json $k $n "$u")") ;;
      envelope) segs+=("$(envelope_json $k $n "$u" "${outs[k-1]}")") ;;
    esac
  done
  local layers
  if (( n == 1 )); then
    layers=$(jlist "${outer[@]}" '"command packet"')
    local names; names=$(IFS='|'; echo "${outer[*]}" | tr -d '"' | sed 's/|/ \/ /g')
    if [[ $FMT == ud ]]; then framing="{ \"layer\": \"user data\", \"udhl\": 2, \"udh\": [$(ie_json 70 '' num)] }"
    else framing="{ \"layer\": \"$names\", ${segs[0]:2}"; fi
  else
    layers=$(jlist "${outer[@]}" '"concatenated SMS"' '"command packet"')
    framing=$(concat_json 70 $n "$PACKET")
  fi
  local f="\"layers\": $layers, $FLD, \"framing\": [$framing], \"segments\": $(jlist "${segs[@]}")"
  METHOD=${METHOD:-$FDEFAULT_METHOD}
  SOURCE=${SOURCE:-'vectors/tools/gen-vectors.sh + gen-framing.sh: secured packet per ETSI TS 102 225 clause 5.1; user data, SMS-DELIVER and ENVELOPE assembled by framing.py per 3GPP TS 31.115 clause 4 and TS 23.040 clause 9.2.3.24 (concatenation), TS 23.040 clause 9.2.2.1, TS 31.111 clause 7.1.1.2'}
  case_json "$file" sms "$(jhex "${outs[@]}")" "$inp" "$f" "$CHECKS"
}

# ------------------------------------------------------------------ por
submit_json() {   # K N UD (TS 23.040 clause 9.2.2.2)
  addr_eff "${DA:-12345678}" '' ''
  printf '{ "type": "SMS-SUBMIT", "mti": 1, "rd": false, "vpf": 0, "srr": false, "udhi": true, "rp": false, "mr": 0, "da": %s, "pid": "00", "dcs": "F6", "vp": null, "udl": %d, "udh": %s, "body": "%s" }' \
    "$(addr_json hex)" $(len "$3") "$(udh_json $1 $2 71 num)" "$(udbody "$3")"
}
report_json() {   # UD (TS 23.040 clause 9.2.2.1a)
  local form=ack fcs=null
  [[ -n $FCS ]] && { form=error; fcs="\"$FCS\""; }
  printf '{ "type": "SMS-DELIVER-REPORT", "mti": 0, "form": "%s", "udhi": true, "fcs": %s, "pi": "07", "pid": "7F", "dcs": "F6", "udl": %d, "udh": %s, "body": "%s" }' \
    $form $fcs $(len "$1") "$(udh_json 1 1 71 num)" "$(udbody "$1")"
}
proactive_json() {   # K N UD (TS 102 223 clause 6.4.10)
  printf '{ "tag": "D0", "commandDetails": { "number": "01", "type": "13", "qualifier": "00" }, "deviceIdentities": { "source": "81", "destination": "83" }, "alphaId": %s, "address": null, "tpdu": %s, "sw": null }' \
    "$([[ -n $ALPHA_EMPTY ]] && echo '""' || echo null)" "$(submit_json $1 $2 "$3")"
}

frame_por() {   # FILE: the current case as kind por
  local file=$1
  KIND=response
  make_packet
  runl "$FR ud $PACKET --iei 71${CREF:+ --ref $CREF}"
  local uds=("${RL[@]}") outs=() u
  addr_eff "${DA:-12345678}" '' ''
  local sargs="--da $A_DIG --ton $A_TON --npi $A_NPI"
  for u in "${uds[@]}"; do
    case $FMT in
      ud) outs+=("$u") ;;
      deliver-report) runl "$FR deliver-report $u${FCS:+ --fcs $FCS}"; outs+=("${RL[0]}") ;;
      submit) runl "$FR submit $u $sargs"; outs+=("${RL[0]}") ;;
      proactive) runl "$FR submit $u $sargs"; runl "$FR send-sm ${RL[0]}${ALPHA_EMPTY:+ --alpha-empty}"; outs+=("${RL[0]}") ;;
    esac
  done
  if [[ -n $FQUOTED ]]; then
    local q; q=$(printf '%s' "$FQUOTED" | tr -d ' ')
    [[ $q == "$(printf '%s' "${outs[@]}")" ]] || die "$ID: recomputation ${outs[*]} differs from the quoted trace $FQUOTED"
  fi
  local n=${#uds[@]} k
  local inp
  if [[ -n $PKTIN ]]; then
    inp="\"spi\": \"$SPI\", \"kic\": \"$KIC\", \"kid\": \"$KID\", \"packet\": \"$PACKET\""
    [[ -n $UNSECURED ]] && inp+=", \"unsecured\": true"
    [[ -n $CCLEN ]] && inp+=", \"ccLen\": $CCLEN"
    inp+=$(key_inputs)
  else packet_inputs; inp=$INP; fi
  inp+=", \"format\": \"$FMT\""
  [[ -n $DA ]] && inp+=", \"da\": \"$DA\""
  [[ -n $CREF ]] && inp+=", \"concatRef\": $CREF"
  packet_fields
  local outer=() segs=() framing names layers
  case $FMT in
    ud) outer=('"user data"') ;;
    submit) outer=('"SMS-SUBMIT"' '"user data"') ;;
    deliver-report) outer=('"SMS-DELIVER-REPORT"' '"user data"') ;;
    proactive) outer=('"proactive command"' '"SMS-SUBMIT"' '"user data"') ;;
  esac
  for ((k = 1; k <= n; k++)); do
    u=${uds[k-1]}
    case $FMT in
      ud) segs+=("{ \"udh\": $(udh_json $k $n 71 num), \"packet\": \"$(udbody "$u")\", \"iei\": $( ((k == 1)) && echo '"71"' || echo null) }") ;;
      submit) segs+=("$(submit_json $k $n "$u")") ;;
      deliver-report) segs+=("$(report_json "$u")") ;;
      proactive) segs+=("$(proactive_json $k $n "$u")") ;;
    esac
  done
  if (( n == 1 )); then
    layers=$(jlist "${outer[@]}" '"response packet"')
    names=$(IFS='|'; echo "${outer[*]}" | tr -d '"' | sed 's/|/ \/ /g')
    if [[ $FMT == ud ]]; then framing="{ \"layer\": \"user data\", \"udhl\": 2, \"udh\": [$(ie_json 71 '' num)] }"
    else framing="{ \"layer\": \"$names\", ${segs[0]:2}"; fi
  else
    layers=$(jlist "${outer[@]}" '"concatenated SMS"' '"response packet"')
    framing=$(concat_json 71 $n "$PACKET")
  fi
  local f="\"layers\": $layers, $FLD, \"framing\": [$framing], \"segments\": $(jlist "${segs[@]}")"
  METHOD=${METHOD:-$FDEFAULT_METHOD}
  SOURCE=${SOURCE:-'vectors/tools/gen-vectors.sh + gen-framing.sh: response packet per ETSI TS 102 225 clause 5.2; user data 02 71 00, SMS-SUBMIT, SMS-DELIVER-REPORT and SEND SHORT MESSAGE assembled by framing.py per 3GPP TS 31.115 clause 4, TS 23.040 clauses 9.2.2.2 and 9.2.2.1a, ETSI TS 102 223 clause 6.4.10'}
  case_json "$file" por "$(jhex "${outs[@]}")" "$inp" "$f" "$CHECKS"
}

# ======================================================== SMS-PP command framing
F=sms-pp-framing.json
SJA2_SCTS=52107131452100   # TP-SCTS, TS 23.040 clause 9.2.3.11 (2025-01-17 13:54:12 +0)
sms() { ID=$1; SPI=$2; KIC=$3; KID=$4; FMT=$5; DESC=$6; [[ -z $APDUS && -z $DATA ]] && APDUS=$SCRIPT_UICC; keys; frame_sms $F; }

reset_frame; sms sms-ud-3des 0619 15 15 ud 'user data 02 70 00 ‖ command packet, 3DES CC + ciphering (keyset KVN 1)'
reset_frame; OA=+491234567; SCTS=$SJA2_SCTS
sms sms-tpdu-3des 0619 15 15 tpdu 'SMS-DELIVER, OA +491234567 (international, ISDN), PID 7F, DCS F6, SCTS 2025-01-17 13:54:12, 3DES'
reset_frame; OA=+491234567; SCTS=$SJA2_SCTS; SMSC=+491710000
sms sms-envelope-3des 0619 15 15 envelope 'ENVELOPE (SMS-PP DOWNLOAD) with the SC address object 86, 3DES'
reset_frame; sms sms-ud-aes 0619 22 22 ud 'user data, AES-128 CMAC + AES-CBC (keyset KVN 2)'
reset_frame; OA=910; FDCS=16; SCTS=6240215043218A
sms sms-tpdu-aes-shortcode-dcs16 0619 22 22 tpdu 'SMS-DELIVER from short code 910 (TON unknown), DCS 16 (general coding, 8-bit, class 2), SCTS 2026-04-12 05:34:12 −7 h (8A), AES'
reset_frame; OA=0123456789; OATON=2; OANPI=8; SCTS=62301321000040
sms sms-envelope-aes-national 0619 22 22 envelope 'ENVELOPE without SC address, OA TON national / NPI national (type of address A8), SCTS 2026-03-31 12:00:00 +1 h (40), AES'
reset_frame; sms sms-tpdu-defaults-rc32 0101 00 05 tpdu 'SMS-DELIVER with every framing default: OA 12345678 (81), PID 7F, DCS F6, SCTS 2026-01-01 00:00:00 +0 (62 10 10 00 00 00 00); RC CRC-32'
reset_frame; sms sms-envelope-defaults-none 0000 00 00 envelope 'ENVELOPE with the framing defaults, no security'
reset_frame; DATA=$(fill 121 A5); SMSC=+491710000
sms sms-envelope-fits-137 0000 00 00 envelope 'largest single SMS: packet of 137 octets, TP-UDL 140 (8C); SMS TPDU and D1 lengths in the two-octet form 81 xx'
reset_frame; DATA=$(fill 121 A5); sms sms-ud-fits-137 0000 00 00 ud 'largest single SMS as user data: 02 70 00 ‖ 137 octets'
reset_frame; DATA=$(fill 122 A5); sms sms-tpdu-concat8-138 0000 00 00 tpdu 'smallest concatenated packet: 138 octets → 132 + 6 (TS 31.115 clause 4), 8-bit reference 0'
reset_frame; DATA=$(fill 150 5A); CREF=167
sms sms-ud-concat8-2seg-3des 0619 15 15 ud '2 segments, 8-bit reference 167 (A7): UDH 07 00 03 A7 02 01 70 00, then 05 00 03 A7 02 02; 3DES CC + ciphering over the whole packet'
reset_frame; DATA=$(fill 150 5A); CREF=167; OA=+491234567; SCTS=$SJA2_SCTS
sms sms-tpdu-concat8-2seg-3des 0619 15 15 tpdu '2 SMS-DELIVER segments, 8-bit reference 167, 3DES'
reset_frame; DATA=$(fill 150 5A); CREF=167; OA=+491234567; SCTS=$SJA2_SCTS; SMSC=+491710000
sms sms-envelope-concat8-2seg-3des 0619 15 15 envelope '2 ENVELOPEs, 8-bit reference 167, with the SC address, 3DES'
reset_frame; DATA=$(fill 150 5A); CREF=4660; C16=1
sms sms-tpdu-concat16-2seg-3des 0619 15 15 tpdu '2 SMS-DELIVER segments, 16-bit reference 0x1234 (IEI 08): UDH 08 08 04 1234 02 01 70 00, then 06 08 04 1234 02 02; 3DES'
reset_frame; DATA=$(fill 150 5A); CREF=513; C16=1
sms sms-ud-concat16-2seg-3des 0619 15 15 ud '2 segments as user data, 16-bit reference 0x0201, 3DES'
reset_frame; DATA=$(fill 150 5A); CREF=0; C16=1; OA=910; SMSC=491710000
sms sms-envelope-concat16-2seg-3des 0619 15 15 envelope '2 ENVELOPEs, 16-bit reference 0, SC address without + (TON unknown), 3DES'
reset_frame; DATA=$(fill 280 C3); CREF=42; OA=+491234567; SCTS=$SJA2_SCTS
sms sms-tpdu-concat8-3seg-aes 0619 22 22 tpdu '3 SMS-DELIVER segments, 8-bit reference 42, AES'
reset_frame; DATA=$(fill 280 C3); CREF=4660; C16=1
sms sms-ud-concat16-3seg-aes 0619 22 22 ud '3 segments, 16-bit reference 0x1234: 131 + 133 + 50 octets of packet (TS 31.115 clause 4), AES'
reset_frame; DATA=$(fill 280 C3); CREF=4660; C16=1; OA=910
sms sms-tpdu-concat16-3seg-aes 0619 22 22 tpdu '3 SMS-DELIVER segments, 16-bit reference, AES'
reset_frame; DATA=$(fill 280 C3); CREF=65535; C16=1; SMSC=+491710000
sms sms-envelope-concat16-3seg-aes 0619 22 22 envelope '3 ENVELOPEs, 16-bit reference FFFF, AES'
reset_frame; DATA=$(fill 280 C3); CREF=255
sms sms-envelope-concat8-3seg-aes 0619 22 22 envelope '3 ENVELOPEs, 8-bit reference 255: 132 + 134 + 48 octets of packet, AES'
reset_frame; DATA=$(fill 280 C3); CREF=1
sms sms-ud-concat8-3seg-aes 0619 22 22 ud '3 segments as user data, 8-bit reference 1, AES'

# ---- ENVELOPEs around real command packets
reset_frame; APDUS=$SCRIPT_SIM; KEYSRC=keyset; OA=+491234567; SCTS=$SJA2_SCTS; SMSC=+491710000
FQUOTED='80 C2 00 00 4F D1 4D 82 02 83 81 86 06 91 94 71 01 00 F0 8B 3F 44 09 91 94 21 43 65 F7 7F F6 52 10 71 31 45 21 00 2D 02 70 00 00 28 15 06 19 15 15 B0 00 10 DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D'
METHOD='worked example (constructed around a real-card packet, decoded by tshark gsm_sim/gsm_sms), recomputed with the openssl CLI and framing.py'
SOURCE='3GPP TS 31.111 clause 7.1.1.2 ENVELOPE (SMS-PP DOWNLOAD) around the real sysmoISIM-SJA2 command packet published in pySim docs/smpp-ota-tool.rst'
sms example-sms-envelope-sja2 0619 15 15 envelope 'TS 31.111 clause 7.1.1.2 worked example: ENVELOPE 80 C2 00 00 4F, SC address +491710000, SMS-DELIVER from +491234567'

reset_frame; DATA=80CA00E00000C0000000; TAR=C00000; CNTR=$((16#76)); KEYSRC=inline; KIC=15; KID=15; OA=910; SCTS=15112413582204
keys_for; KICKEY=263B48DBCBC1C21C0AA13E4D4516C446
FQUOTED='80 C2 00 00 3C D1 3A 82 02 83 81 8B 34 44 03 81 19 F0 7F F6 15 11 24 13 58 22 04 25 02 70 00 00 20 11 15 35 15 15 C0 00 00 4D5C2C7F43D3E774316C66CE8E1D5045755BACEF5DC83203'
METHOD='real-card trace (quoted), recomputed with the openssl CLI, crc.py and framing.py'
SOURCE='real Gemalto card, decoded by tshark: suma12/asterix asterix/SecurePacket.py card-tool log'
ID=card-gemalto-envelope; SPI=1535; FMT=envelope; DESC='Gemalto ENVELOPE 80 C2 00 00 3C: OA 910, no SC address, SCTS 15 11 24 13 58 22 04, RC CRC-32 + 3DES'; frame_sms $F

reset_frame; APDUS='00A40004023F00'; KEYSRC=keyset; TAR=B00011; PKTIN=1; OA=+491234567
QUOTED=00281506192222B00011E87CCEEBB2D93083011CE294F93FC4D8DE80DA1ABAE8C37CA3E72EC4432E5058
METHOD='real-card packet (quoted) framed with framing.py'
SOURCE='real sysmoISIM-SJA5 command packet of pySim tests/unittests/test_ota.py (given as inputs.packet) framed per 3GPP TS 31.115 clause 4, TS 23.040 clause 9.2.2.1'
sms card-sja5-tpdu-packet 0619 22 22 tpdu 'a given packet (inputs.packet: the real SJA5 AES command) framed as an SMS-DELIVER; keys from the keyset by the KIc/KID in the packet'

write_file $F 'SMS-PP framing of command packets (3GPP TS 31.115, TS 23.040, TS 31.111): user data, SMS-DELIVER TPDUs and ENVELOPEs (SMS-PP DOWNLOAD), single and concatenated (8- and 16-bit reference), 3DES and AES; one expected.hex entry per SMS. Generated by vectors/tools/gen-vectors.sh (gen-framing.sh, framing.py), independently of uicc-ota.'

# ======================================================== PoR framing
F=por-framing.json
pframe() { ID=$1; SPI=$2; KIC=$3; KID=$4; FMT=$5; DESC=$6; keys; [[ -n $KICKEY_OVR ]] && KICKEY=$KICKEY_OVR; frame_por $F; }
SJA2_POR_DATA=0290000000FFFF7F2002000000000009B106350400838A838A
SJA2_POR=002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39
GEM_POR=002C0EC00000888B39C361C66D5F3DC4EFCEF508CC228021DD34E577B147E54EFF18B3922C9176644E2E8AA9A695
gemalto_por() {   # settings of the real Gemalto PoR (responses.json card-gemalto-por-crc32-3des)
  TAR=C00000; CNTR=$((16#76)); KEYSRC=inline; DATA=019000E012C00401018210C00402018210C00403018210; QUOTED=$GEM_POR
  KICKEY_OVR=263B48DBCBC1C21C0AA13E4D4516C446
}

reset_frame; KEYSRC=keyset; DATA=$SJA2_POR_DATA; QUOTED=$SJA2_POR
pframe por-ud-sja2 0619 15 15 ud 'PoR user data 02 71 00 ‖ the real SJA2 response packet (what the card returns to the ENVELOPE)'
reset_frame; KEYSRC=keyset; DATA=$SJA2_POR_DATA; QUOTED=$SJA2_POR
METHOD='worked example (constructed around a real-card PoR, decoded by tshark gsm_sms), recomputed with the openssl CLI and framing.py'
SOURCE='3GPP TS 23.040 clause 9.2.2.1a SMS-DELIVER-REPORT for RP-ACK (40 07 7F F6 31 027100002C12B000107DDF58…1A9951D59A39) around the real SJA2 PoR published in pySim docs/smpp-ota-tool.rst; the framing.py self-test checks the quoted prefix and suffix'
pframe example-por-deliver-report-sja2 0619 15 15 deliver-report 'SMS-DELIVER-REPORT for RP-ACK: 40, TP-PI 07, PID 7F, DCS F6, UDL 31, UD 02 71 00 ‖ PoR'
reset_frame; KEYSRC=keyset; DATA=$SJA2_POR_DATA; QUOTED=$SJA2_POR; FCS=D5; CHECKS='["parse"]'
METHOD='worked example (constructed around a real-card PoR, decoded by tshark gsm_sms), recomputed with the openssl CLI and framing.py'
SOURCE='3GPP TS 23.040 clause 9.2.2.1a SMS-DELIVER-REPORT for RP-ERROR (40 D5 07 7F F6 31 …) around the real SJA2 PoR; parse-only: build por has no TP-FCS option'
pframe example-por-deliver-report-error-sja2 0619 15 15 deliver-report 'SMS-DELIVER-REPORT for RP-ERROR with TP-FCS D5 ((U)SIM data download error): parse only'

reset_frame; gemalto_por; DA=910
FQUOTED='410003 8119F0 00F6 31 027100 002C0EC00000888B39C361C66D5F3DC4EFCEF508CC228021DD34E577B147E54EFF18B3922C9176644E2E8AA9A695'
METHOD='real-card trace (quoted), recomputed with the openssl CLI, crc.py and framing.py'
SOURCE='the SMS TPDU 8B of the real Gemalto FETCH response: suma12/asterix asterix/SecurePacket.py card-tool log'
pframe card-gemalto-por-submit 1535 15 15 submit 'Gemalto PoR as SMS-SUBMIT 41 00, DA 910 (the command OA), PID 00, DCS F6, UDL 31'
reset_frame; gemalto_por; DA=910
pframe por-proactive-gemalto 1535 15 15 proactive 'the Gemalto PoR in a SEND SHORT MESSAGE as build por writes it (no alpha identifier): D0 81 03 01 13 00 82 02 81 83 8B'
reset_frame; gemalto_por; DA=910; ALPHA_EMPTY=1; CHECKS='["parse"]'
FQUOTED='D047 810301130082028183 0500 8B3A 410003 8119F0 00F6 31 027100 002C0EC00000888B39C361C66D5F3DC4EFCEF508CC228021DD34E577B147E54EFF18B3922C9176644E2E8AA9A695'
METHOD='real-card trace (quoted), recomputed with the openssl CLI, crc.py and framing.py'
SOURCE='real Gemalto FETCH response D0 47 …, without the SW 90 00, decoded by tshark gsm_sim: suma12/asterix asterix/SecurePacket.py card-tool log; parse-only: the card adds an empty alpha identifier 05 00 that build por does not write'
pframe card-gemalto-fetch 1535 15 15 proactive 'real Gemalto FETCH response: SEND SHORT MESSAGE with alpha identifier 05 00, SMS-SUBMIT carrying the CRC-32 + 3DES PoR'

reset_frame; KEYSRC=keyset; TAR=B00011; DATA=016132; QUOTED=002412B00011EBC6B497E2CAD7AEDF36ACE0E3A29B38853F0FE9CCDE81913BE5702B73ABCE1F
pframe por-ud-sja5 0619 22 22 ud 'PoR user data around the real SJA5 AES response packet'
reset_frame; KEYSRC=keyset; TAR=B00011; DATA=016132; QUOTED=002412B00011EBC6B497E2CAD7AEDF36ACE0E3A29B38853F0FE9CCDE81913BE5702B73ABCE1F
pframe por-deliver-report-sja5 0619 22 22 deliver-report 'SMS-DELIVER-REPORT (RP-ACK) with the real SJA5 AES PoR'
reset_frame; DATA=019000; DA=+491234567
pframe por-submit-aes 0639 22 22 submit 'PoR via SMS-SUBMIT (SPI2 39), DA +491234567, AES CC + ciphering'
reset_frame; DATA=019000
pframe por-proactive-aes 0639 22 22 proactive 'SEND SHORT MESSAGE, DA default 12345678, AES CC + ciphering'
reset_frame; DATA=019000
pframe por-submit-none 0021 00 00 submit 'PoR via SMS-SUBMIT without security, DA default'
reset_frame; KEYSRC=keyset; STATUS=06; UNSECURED=1; QUOTED='000B 0A B00010 0000000000 00 06'
pframe por-deliver-report-replay-06 1619 15 15 deliver-report 'SMS-DELIVER-REPORT with the real SJA2 answer to a replayed counter (status 06, unsecured)'
reset_frame; DATA=0190000000$(fill 160 E7); CREF=5
DESC_UNCERTAIN='concatenated PoR: layout 00 03 rr NN 01 71 00 / 00 03 rr NN kk as onomondo sends it (no second source, uncertain)'
pframe por-submit-concat8-2seg-aes 0639 22 22 submit "2 SMS-SUBMITs, reference 5; $DESC_UNCERTAIN"
reset_frame; DATA=0190000000$(fill 160 E7); CREF=5
pframe por-proactive-concat8-2seg-aes 0639 22 22 proactive "2 SEND SHORT MESSAGEs, reference 5; $DESC_UNCERTAIN"
reset_frame; gemalto_por; PKTIN=1
pframe por-ud-packet-gemalto 1535 15 15 ud 'a given response packet (inputs.packet: the real Gemalto PoR) as user data; spi/kic/kid say how to read it'

write_file $F 'SMS-PP framing of response packets / PoR (3GPP TS 31.115, TS 23.040, TS 102 223): user data 02 71 00 …, SMS-SUBMIT, SMS-DELIVER-REPORT and SEND SHORT MESSAGE, with real-card traces; one expected.hex entry per SMS. Generated by vectors/tools/gen-vectors.sh (gen-framing.sh, framing.py), independently of uicc-ota.'

# ======================================================== CAT_TP PDUs
F=cattp-pdus.json
reason_name() {   # RST reason codes, TS 102 127
  case $1 in
    0) echo 'normal ending' ;; 1) echo 'connection set-up failed, illegal parameters' ;; 2) echo 'temporarily unable to set up this connection' ;;
    3) echo 'requested port not available' ;; 4) echo 'unexpected PDU received' ;; 5) echo 'maximum retries exceeded' ;; 6) echo 'version not supported' ;;
    *) echo RFU ;;
  esac
}
reset_pdu() {
  reset_frame; DIALECT=cat_tp
  PTYPE=''; PSRC=''; PDST=''; PSEQ=''; PACK=''; PWIN=''; PMAXPDU=''; PMAXSDU=''; PIDENT=''; PEACK=''; PREASON=''; PDATA=''; PSEG=''; PRSTACK=''; PCKSUM=''
}

pdu() {   # ID DESC: the current PDU as kind cattp-pdu
  ID=$1; DESC=$2
  local a="--src $PSRC --dst $PDST --seq $(printf '0x%04X' $PSEQ) --ack $(printf '0x%04X' $PACK) --window $PWIN"
  [[ -n $PMAXPDU ]] && a+=" --max-pdu $PMAXPDU --max-sdu $PMAXSDU${PIDENT:+ --id $PIDENT}"
  if [[ -n $PEACK ]]; then local e='' s; for s in $PEACK; do e+="${e:+,}$(printf '0x%04X' $s)"; done; a+=" --eack $e"; fi
  [[ -n $PREASON ]] && a+=" --reason $PREASON"
  [[ -n $PDATA ]] && a+=" --data $PDATA"
  [[ -n $PSEG ]] && a+=' --seg'
  [[ -n $PRSTACK ]] && a+=' --rst-ack'
  runl "$FR cattp $PTYPE $a"
  local good=${RL[0]:32:4} out
  if [[ -n $PCKSUM ]]; then runl "$FR cattp $PTYPE $a --checksum $PCKSUM"; fi
  out=${RL[0]}
  if [[ -n $QUOTED ]]; then [[ ${QUOTED// /} == "$out" ]] || die "$ID: recomputation $out differs from the quoted PDU $QUOTED"; fi
  # inputs
  local inp="\"type\": \"$PTYPE\", \"srcPort\": $PSRC, \"dstPort\": $PDST, \"seq\": $PSEQ, \"ack\": $PACK, \"window\": $PWIN"
  [[ -n $PMAXPDU ]] && inp+=", \"maxPdu\": $PMAXPDU, \"maxSdu\": $PMAXSDU"
  [[ -n $PIDENT ]] && inp+=", \"identification\": \"$PIDENT\""
  [[ -n $PEACK ]] && inp+=", \"eack\": $(jlist $PEACK)"
  [[ -n $PREASON ]] && inp+=", \"reason\": $PREASON"
  [[ -n $PDATA ]] && inp+=", \"data\": \"$PDATA\""
  [[ -n $PSEG ]] && inp+=", \"seg\": true"
  [[ -n $PRSTACK ]] && inp+=", \"rstAck\": true"
  [[ -n $PCKSUM ]] && inp+=", \"checksum\": \"$PCKSUM\""
  # fields (TS 102 127 PDU header, variable header, checksum)
  local type flags
  case $PTYPE in
    # JSON v1: type and flag names spelled as the CLI's arguments
    syn) type=syn; flags='"syn"' ;; synack) type=synack; flags='"syn", "ack"' ;; ack) type=ack; flags='"ack"' ;;
    data) type=data; flags='"ack"' ;; eack) type=eack; flags='"ack", "eak"' ;; nul) type=nul; flags='"ack", "nul"' ;;
    rst) type=rst; flags='"rst"'; [[ -n $PRSTACK ]] && flags='"ack", "rst"' ;;
  esac
  [[ -n $PSEG ]] && flags+=', "seg"'
  local ok=true; [[ ${out:32:4} != "$good" ]] && ok=false
  local f="\"type\": \"$type\", \"flags\": [$flags], \"version\": 0, \"hlen\": $((16#${out:6:2})), \"srcPort\": $PSRC, \"dstPort\": $PDST, \"dataLength\": $(len "$PDATA")"
  f+=", \"seq\": $PSEQ, \"ack\": $PACK, \"window\": $PWIN, \"checksum\": { \"value\": \"${out:32:4}\", \"computed\": \"$good\", \"verified\": $ok }"
  if [[ -n $PMAXPDU ]]; then
    f+=", \"maxPduSize\": $PMAXPDU, \"maxSduSize\": $PMAXSDU, \"identification\": \"$PIDENT\""
    # Wireshark's reading (its CAT-TP dissector): 9-10 octets starting 98 are a nibble-swapped ICCID
    if (( ${#PIDENT} >= 18 && ${#PIDENT} <= 20 )) && [[ ${PIDENT:0:2} == 98 ]]; then f+=", \"iccid\": \"$(bcd "$PIDENT")\""; fi
  fi
  [[ -n $PEACK ]] && f+=", \"eack\": $(jlist $PEACK)"
  [[ -n $PREASON ]] && f+=", \"reason\": { \"code\": \"$(hex2 $PREASON)\", \"name\": \"$(reason_name $PREASON)\" }"
  f+=", \"data\": \"$PDATA\", \"verified\": $ok"
  METHOD=${METHOD:-'independent computation: python3 vectors/tools/framing.py (TS 102 127 PDU header and checksum)'}
  SOURCE=${SOURCE:-'vectors/tools/gen-framing.sh: PDU assembled by framing.py from the ETSI TS 102 127 PDU header layout and checksum definition'}
  case_json $F cattp-pdu "\"$out\"" "$inp" "$f" "$CHECKS"
}
ports() { PSRC=$1; PDST=$2; PSEQ=$3; PACK=$4; PWIN=$5; }
TSHARK_METHOD='example PDU built by hand and decoded by tshark (Wireshark CAT-TP dissector, checksum status Good), recomputed with framing.py'
ICCID_ID=988812010000407682F5

reset_pdu; PTYPE=syn; ports 1024 1 $((0x1234)) 0 4; PMAXPDU=1024; PMAXSDU=2048; PIDENT=$ICCID_ID
QUOTED='80000021 0400 0001 0000 1234 0000 0004 5E37 0400 0800 0A 988812010000407682F5'; METHOD=$TSHARK_METHOD; SOURCE='ETSI TS 102 127 SYN; tshark CAT-TP dissector (odd header length 33, checksum 5E37 Good)'
pdu example-cattp-syn 'SYN from UICC port 1024 to server port 1, ISN 0x1234, window 4, max PDU 1024, max SDU 2048, identification = ICCID 8988211000000467285'
reset_pdu; PTYPE=synack; ports 1 1024 $((0x5678)) $((0x1234)) 4; PMAXPDU=1024; PMAXSDU=2048
QUOTED='C0000017 0001 0400 0000 5678 1234 0004 C736 0400 0800 00'; METHOD=$TSHARK_METHOD; SOURCE='ETSI TS 102 127 SYN-ACK; tshark CAT-TP dissector'
pdu example-cattp-synack 'SYN-ACK: server ISN 0x5678, ack 0x1234, empty identification'
reset_pdu; PTYPE=data; ports 1 1024 $((0x1235)) $((0x5678)) 4; PDATA=011B0D00000000B00010000000000000A0A40000027F20
QUOTED='40000012 0001 0400 0017 1235 5678 0004 8125 011B0D00000000B00010000000000000A0A40000027F20'; METHOD=$TSHARK_METHOD; SOURCE='ETSI TS 102 127 ACK with 23 data octets (odd length); tshark CAT-TP dissector'
pdu example-cattp-ack-data23 'ACK carrying 23 octets of data (odd length: a zero octet is added for the checksum only)'
reset_pdu; PTYPE=data; ports 1 1024 $((0x1235)) $((0x5678)) 4; PDATA=011B0D00000000B00010000000000000A0A40000027F20; PCKSUM=8124
QUOTED='40000012 0001 0400 0017 1235 5678 0004 8124 011B0D00000000B00010000000000000A0A40000027F20'; METHOD=$TSHARK_METHOD; SOURCE='ETSI TS 102 127 ACK with checksum 8124; tshark CAT-TP dissector: "Bad checksum [should be 0x8125]"'
pdu example-cattp-ack-data23-bad-checksum 'the same ACK with a wrong checksum 8124 (inputs.checksum): parse must report checksum 8124, computed 8125, not verified'
reset_pdu; PTYPE=nul; ports 1024 1 $((0x1236)) $((0x5678)) 4
QUOTED='48000012 0400 0001 0000 1236 5678 0004 4B3A'; METHOD=$TSHARK_METHOD; SOURCE='ETSI TS 102 127 NUL; tshark CAT-TP dissector'
pdu example-cattp-nul 'NUL (keep-alive), flags 48'
reset_pdu; PTYPE=eack; ports 1024 1 $((0x1236)) $((0x5678)) 4; PEACK="$((0x5679)) $((0x5680))"
QUOTED='60000016 0400 0001 0000 1236 5678 0004 863C 5679 5680'; METHOD=$TSHARK_METHOD; SOURCE='ETSI TS 102 127 EACK; tshark CAT-TP dissector'
pdu example-cattp-eack 'EACK for 0x5679 and 0x5680 (header length 22)'
reset_pdu; PTYPE=rst; ports 1024 1 $((0x1237)) 0 0; PREASON=0
QUOTED='10000013 0400 0001 0000 1237 0000 0000 D9B4 00'; METHOD=$TSHARK_METHOD; SOURCE='ETSI TS 102 127 RST; tshark CAT-TP dissector'
pdu example-cattp-rst 'RST, reason 00 normal ending (header length 19)'

reset_pdu; PTYPE=syn; ports 1024 1 0 0 1; PMAXPDU=255; PMAXSDU=1024
pdu cattp-syn-no-identification 'SYN with identification length 0, max PDU 255, window 1'
reset_pdu; PTYPE=syn; ports 4096 2 $((0xFFFF)) 0 16; PMAXPDU=1500; PMAXSDU=65535; PIDENT=0102030405
pdu cattp-syn-identification-not-iccid 'SYN with a 5-octet identification that is not an ICCID, ISN FFFF'
reset_pdu; PTYPE=synack; ports 1 1024 $((0x0100)) $((0xFFFF)) 8; PMAXPDU=512; PMAXSDU=4096; PIDENT=98441032547698103254
pdu cattp-synack-iccid-20 'SYN-ACK with a 10-octet ICCID identification (20 digits, no filler)'
reset_pdu; PTYPE=ack; ports 1 1024 $((0x5679)) $((0x1236)) 4
pdu cattp-ack-empty 'pure ACK (no data), flags 40'
reset_pdu; PTYPE=data; ports 1 1024 $((0x0010)) $((0x0020)) 2; PDATA=$(fill 64 3C); PSEG=1
pdu cattp-data-seg 'data PDU with SEG (flags 44): a segment that is not the last of its SDU, 64 octets (even)'
reset_pdu; PTYPE=data; ports 1024 1 0 $((0xFFFF)) 0; PDATA=02
pdu cattp-data-one-octet 'data PDU with one octet, window 0, ack FFFF'
reset_pdu; PTYPE=eack; ports 1 1024 7 3 0; PEACK=9
pdu cattp-eack-one 'EACK with one entry, window 0'
reset_pdu; PTYPE=rst; ports 1 1024 $((0x2000)) $((0x1000)) 0; PREASON=5; PRSTACK=1
pdu cattp-rst-ack-05 'RST with the ACK flag (50), reason 05 maximum retries exceeded'
reset_pdu; PTYPE=rst; ports 1024 1 1 0 0; PREASON=6
pdu cattp-rst-06 'RST reason 06 version not supported'
reset_pdu; PTYPE=rst; ports 1024 1 1 0 0; PREASON=$((0x42))
pdu cattp-rst-rfu 'RST with an RFU reason code 42'
reset_pdu; PTYPE=nul; ports 1024 1 $((0xFFFF)) $((0xFFFE)) 4
pdu cattp-nul-ffff 'NUL at sequence number FFFF (just before the wrap)'

# ---- secured command packets in data PDUs
cattp_sdu() {   # FILE: the current case as kind cattp
  local file=$1
  make_packet
  runl "$FR cattp-sdu $PACKET --max-pdu $PMAXPDU --src $PSRC --dst $PDST --seq $(printf '0x%04X' $PSEQ) --ack $(printf '0x%04X' $PACK) --window $PWIN"
  local outs=("${RL[@]}") n=${#RL[@]} k o
  if [[ -n $FQUOTED ]]; then [[ ${FQUOTED// /} == "${outs[*]}" ]] || die "$ID: recomputation ${outs[*]} differs from the quoted PDU $FQUOTED"; fi
  local inp
  if [[ -n $PKTIN ]]; then inp="\"packet\": \"$PACKET\"$(key_inputs)"; else packet_inputs; inp=$INP; fi
  inp+=", \"maxPdu\": $PMAXPDU, \"srcPort\": $PSRC, \"dstPort\": $PDST, \"seq\": $PSEQ, \"ack\": $PACK, \"window\": $PWIN"
  packet_fields
  local pj=()
  for ((k = 0; k < n; k++)); do
    o=${outs[k]}
    pj+=("{ \"type\": \"data\", \"flags\": [\"ack\"$( ((k < n - 1)) && echo ', "seg"')], \"hlen\": 18, \"srcPort\": $PSRC, \"dstPort\": $PDST, \"dataLength\": $(( $(len "$o") - 18 )), \"seq\": $(( (PSEQ + k) & 0xFFFF )), \"ack\": $PACK, \"window\": $PWIN, \"checksum\": { \"value\": \"${o:32:4}\", \"verified\": true }, \"data\": \"${o:36}\" }")
  done
  local sdu="{ \"srcPort\": $PSRC, \"dstPort\": $PDST, \"firstSeq\": $PSEQ, \"lastSeq\": $(( (PSEQ + n - 1) & 0xFFFF )), \"pdus\": $n, \"length\": $(len "$PACKET"), \"kind\": \"command packet\", \"data\": \"$PACKET\" }"
  local f="\"layers\": [\"CAT_TP\", \"command packet\"], $FLD, \"framing\": [{ \"layer\": \"CAT_TP\", \"pdus\": $(jlist "${pj[@]}"), \"sdus\": [$sdu], \"duplicates\": [] }]"
  METHOD=${METHOD:-$FDEFAULT_METHOD}
  SOURCE=${SOURCE:-'vectors/tools/gen-vectors.sh + gen-framing.sh: command packet per the CAT_TP dialect of ETSI TS 102 225; data PDUs by framing.py per ETSI TS 102 127 (PDU header, checksum, SEG on all but the last segment, one sequence number per data PDU)'}
  case_json "$file" cattp "$(jhex "${outs[@]}")" "$inp" "$f" "$CHECKS"
}
csdu() { ID=$1; SPI=$2; KIC=$3; KID=$4; DESC=$5; [[ -z $APDUS && -z $DATA ]] && APDUS=$SCRIPT_UICC; keys; cattp_sdu $F; }

reset_pdu; APDUS=$SCRIPT_SIM; KEYSRC=keyset; ports 1 1024 $((0x5679)) $((0x1235)) 4; PMAXPDU=1024
QUOTED=01281506091515B00010064105D61C8EB15B1810B3180734F2FA13BC3D285881CF8594299C9C9D126808
FQUOTED='40000012 0001 0400 002A 5679 1235 0004 CFE7 01281506091515B00010064105D61C8EB15B1810B3180734F2FA13BC3D285881CF8594299C9C9D126808'
METHOD='worked example (constructed, the PDU decoded by tshark CAT-TP dissector), recomputed with the openssl CLI and framing.py'
SOURCE='ETSI TS 102 127 ACK (checksum CFE7, tshark CAT-TP dissector) carrying the TS 102 225 CAT_TP-dialect command packet of vectors/cattp-packets.json example-cattp-3des-cc-cipher (sysmoISIM-SJA2 keys of pySim docs/smpp-ota-tool.rst)'
csdu example-cattp-pdu-command 0609 15 15 'the CAT_TP-dialect command packet (3DES CC + ciphering) in one data PDU, server port 1 → UICC port 1024, seq 0x5679'
reset_pdu; DATA=$(fill 300 3C); ports 1 1024 1 0 4; PMAXPDU=128
csdu cattp-3des-3pdus 0609 15 15 'CAT_TP command with a BER 82 xx xx CPL (300 octets of data, 3DES CC + ciphering) in 3 data PDUs of at most 128 octets: SEG, SEG, last'
reset_pdu; ports 1 1024 $((0xFFFE)) 7 2; PMAXPDU=34
csdu cattp-aes-3pdus-wrap 0609 22 22 'AES CC + ciphering command in 3 PDUs of at most 34 octets, sequence numbers FFFE, FFFF, 0000 (wrap)'
reset_pdu; APDUS=$SCRIPT_SIM; KEYSRC=keyset; ports 1 1024 1 0 4; PMAXPDU=30; PKTIN=1
QUOTED=01281506091515B00010064105D61C8EB15B1810B3180734F2FA13BC3D285881CF8594299C9C9D126808
METHOD='worked example packet (example-cattp-3des-cc-cipher) segmented with framing.py'
SOURCE='the TS 102 225 CAT_TP-dialect packet of example-cattp-3des-cc-cipher (given as inputs.packet) split per ETSI TS 102 127 (SEG) into data PDUs of at most 30 octets'
csdu cattp-packet-4pdus 0609 15 15 'a given CAT_TP packet (inputs.packet: example-cattp-3des-cc-cipher) in 4 PDUs of at most 30 octets (12 octets of data each, 6 in the last)'

write_file $F 'CAT_TP PDUs (ETSI TS 102 127): every PDU type with examples checked by tshark (Wireshark CAT-TP dissector), and secured command packets of the CAT_TP dialect carried by data PDUs (SEG). Generated by vectors/tools/gen-vectors.sh (gen-framing.sh, framing.py), independently of uicc-ota.'
