/**
 * uicc-ota command line. Only commander is loaded up front; each command's
 * implementation is imported when it runs, so one invocation stays cheap
 * (shell scripts call it thousands of times).
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { EXIT, InputError, OtaError } from '../util/errors.js';
import { installHelp } from './help.js';

export const VERSION = '0.1.0';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Options shared by everything that needs keys. */
export function keyOptions(c: Command): Command {
  return c
    .option('--kic-key <hex|@file|env:NAME>', 'ciphering key: hex, a file holding it, or an environment variable (default env UICC_OTA_KIC)')
    .option('--kid-key <hex|@file|env:NAME>', 'integrity key: hex, a file holding it, or an environment variable (default env UICC_OTA_KID)')
    .option('--keyset <file>', 'keyset JSON file (or env UICC_OTA_KEYSET)')
    .option('--kvn <n>', 'key version number to take from the keyset')
    .option('--kic-alg <alg>', 'cipher when KIc says "implicit": des-cbc|des-ecb|3des-2key-cbc|3des-3key-cbc|aes-cbc')
    .option('--kid-alg <alg>', 'CC/RC algorithm when KID says "implicit": des-cbc-mac|3des-2key-cbc-mac|3des-3key-cbc-mac|aes-cmac|crc16|crc32')
    .addOption(new Option('--crypto <backend>', 'block-cipher implementation: auto (default: the built-in ciphers for DES/3DES operations of up to 12 blocks and for the first 256 blocks of the others in a run, OpenSSL for the rest and for batches), native (OpenSSL), forge (node-forge, pure JavaScript) or builtin (this package\'s own DES/3DES and AES); or env UICC_OTA_CRYPTO').choices(['auto', 'native', 'forge', 'builtin']));
}

/** Batch-mode options (--each) shared by build sms and parse. */
function eachOptions(c: Command, what: string): Command {
  return c
    .option('--each', what)
    .option('--threads <n|auto>', 'with --each: run the lines on N worker threads ("auto": one per CPU; default 1, this thread); output order is kept');
}

/** Batch, capture and outcome options shared by parse and parse sms|por. */
function parseModeOptions(c: Command): Command {
  return c
    .option('--pcap <file>', 'also write what was parsed as a pcap for Wireshark (with --each: every frame appended to one file before its line is printed)')
    .option('--each', 'batch mode: every input line is a separate packet; one output line per input line, as each line arrives')
    .option('--threads <n|auto>', 'with --each: run the lines on N worker threads ("auto": one per CPU; default 1, this thread); output order is kept')
    .addOption(new Option('--read <file>', 'read a pcap/pcapng capture (GSMTAP SIM, CAT_TP over UDP) instead of hex ("-": stdin), streamed: exchanges are printed as they complete').conflicts(['each', 'pcap']))
    .option('--ndjson', 'with --read: one JSON record per line (uicc-ota-capture-record/1) as each exchange completes')
    .option('--pairing-window <n>', 'with --read: at most N unfinished concatenated SMS / unanswered commands kept (each; oldest evicted and reported), default 10000')
    .option('--follow', 'with --read FILE: a capture still being written (tcpdump -w, SIMtrace) is followed as it grows, until Ctrl-C / SIGTERM; then the summary')
    .option('--show-computed', 'on an RC/CC mismatch, also print the value computed with the key (off: no MAC oracle)')
    .option('--expect-status <XX[,YY]>', 'PoR statuses that are the expected outcome (negative tests): exit 0 exactly when the status is one of them (without it any status but 00, 0B, 0C exits 1)')
    .option('--require-verified', 'exit 1 unless every RC/CC was checked: a missing key, a PoR without the command\'s SPI (--request/--spi), a packet without RC/CC/DS fail (JSON: unverified)');
}

function outputOptions(c: Command): Command {
  return c.option('--json', 'machine-readable JSON on stdout').option('--no-color', 'no colours (also NO_COLOR=1)').option('--no-bits', 'hide bit-field lines in trees');
}

/** Security options of `build sms` / `build cattp` (same names for both dialects). */
function securityOptions(c: Command): Command {
  return keyOptions(
    c
      .option('--spi <hex>', 'SPI, 2 octets (default 1621, or the keyset default)')
      .option('--kic <hex>', 'KIc octet (default: from the keyset KVN and cipher)')
      .option('--kid <hex>', 'KID octet (default: from the keyset KVN and CC algorithm)')
      .option('--tar <hex>', 'TAR, 3 octets (default B00010, or the keyset default)')
      .option('--counter <n|next>', 'CNTR: decimal, 0x-hex, or exactly 10 hex digits (always read as hex); "next" takes and advances the counter stored for the keyset', '0')
      .option('--apdu <hex>', 'C-APDU for the secured data (repeatable)', collect, [])
      .option('--data <hex>', 'raw secured data instead of --apdu')
      .option('--expanded', 'expanded remote APDU format (TS 102 226 cl. 5.2) instead of compact')
      .option('--indefinite', 'with --expanded: indefinite-length command scripting template')
      .option('--immediate-action <hex>', 'with --expanded: Immediate Action TLV (81) value')
      .option('--error-action <hex>', 'with --expanded: Error Action TLV (82) value')
      .option('--script-chaining <hex>', 'with --expanded: Script Chaining TLV (83) value')
      .option('--cc-len <n>', 'CC length in octets (AES-CMAC: 4 or 8)')
      .option('--padding-byte <hex>', 'cipher padding octet', '00')
      .option('--allow-weak-key', 'accept a 3DES key that degrades to single DES (K1 = K2, as test cards and public test data use); the output notes it')
      .option('--state <file>', 'counter state file for --counter next (or env UICC_OTA_STATE; default <keyset file>.counters.json beside the keyset, or under $XDG_STATE_HOME/uicc-ota/ when that folder is read-only; see: uicc-ota counter show)'),
  );
}

/** The SMS-DELIVER and ENVELOPE fields of a command sent as SMS-PP (TS 23.040 cl. 9.2.2.1, TS 31.111 cl. 7.1.1). */
function smsDeliverOptions(c: Command): Command {
  return c
      .option('--oa <digits>', 'TP-OA originating address digits; "+…" international (default 12345678)')
      .option('--oa-ton <n>', 'TP-OA type of number 0-7 (default 0 unknown, 1 with "+")')
      .option('--oa-npi <n>', 'TP-OA numbering plan 0-15 (default 1 ISDN)')
      .option('--pid <hex>', 'TP-PID (default 7F, (U)SIM data download)')
      .option('--dcs <hex>', 'TP-DCS (default F6, class 2, 8-bit)')
      .option('--scts <when>', 'TP-SCTS: "now", an ISO date, or 14 hex digits (default 2026-01-01 00:00:00 +00, for reproducible output)')
      .option('--smsc <digits>', 'SMSC address in the ENVELOPE')
      .option('--concat-ref <n>', 'concatenation reference (8-bit; 16-bit with --concat-16)', '0')
      .option('--concat-16', 'use the 16-bit concatenation IE (08)');
}

/**
 * Stands in for a command that is not built (buildProgram's `only`, `sub`):
 * every method call on it, however deep, does nothing and returns it again.
 */
const NOT_BUILT: Command = new Proxy(Object.create(null) as object, { get: () => () => NOT_BUILT }) as Command;

/** Make c.command() build only the subcommands `want` names (NOT_BUILT for the others); undo() restores it. */
function buildOnly(c: Command, want: (name: string) => boolean): { undo(): void } {
  const command = c.command.bind(c) as (nameAndArgs: string, ...rest: unknown[]) => Command;
  c.command = ((nameAndArgs: string, ...rest: unknown[]) => (want(nameAndArgs.split(' ', 1)[0]) ? command(nameAndArgs, ...rest) : NOT_BUILT)) as Command['command'];
  return { undo: () => delete (c as Partial<Command>).command }; // commander's own method again
}

/**
 * The command tree. With `only` (start-up: a shell script may call the tool
 * thousands of times), just that top-level command is built, with its
 * subcommands, options and help exactly as in the full tree (and of its
 * subcommands, with `sub`, only those `sub` accepts); the others are defined
 * against NOT_BUILT. The root's own help, unknown commands and completion need
 * the full tree (main decides).
 */
export function buildProgram(only?: string, sub?: (name: string) => boolean): Command {
  const program = new Command('uicc-ota')
    .description('Build, secure and parse UICC OTA secured packets (ETSI TS 102 225, 3GPP TS 31.115 SMS-PP, ETSI TS 102 127 CAT_TP)')
    .version(VERSION, '-V, --version')
    .configureHelp({ sortSubcommands: false })
    .enablePositionalOptions()
    // Set before any subcommand exists: commander copies these settings at creation.
    .exitOverride()
    // Usage errors: one line, like every other error ("uicc-ota: unknown option '--x' (see --help)").
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`uicc-ota: ${s.replace(/^error: /, '').trimEnd()} (see --help)\n`),
    });
  // Only the wanted top-level command's definition runs (the others' options and help texts are not even made).
  const want = (name: string) => only === undefined || only === name;
  const undo: Array<{ undo(): void }> = [];
  if (only !== undefined) {
    const top = buildOnly(program, (name) => name === only);
    undo.push(top);
    if (sub) {
      const command = program.command.bind(program) as (nameAndArgs: string, ...rest: unknown[]) => Command;
      program.command = ((nameAndArgs: string, ...rest: unknown[]) => {
        const c = command(nameAndArgs, ...rest);
        if (c !== NOT_BUILT) undo.push(buildOnly(c, sub));
        return c;
      }) as Command['command'];
    }
  }

  // --- header codes -------------------------------------------------------
  if (want('spi')) defineSpi(program);
  if (want('kic')) defineKic(program);
  if (want('kid')) defineKid(program);
  if (want('tar')) defineTar(program);
  if (want('status')) defineStatus(program);

  // --- build ----------------------------------------------------------------
  if (want('build')) defineBuild(program);

  // --- parse ----------------------------------------------------------------
  if (want('parse')) defineParse(program);
  // --- counter state (sending entity) ------------------------------------------
  if (want('counter')) defineCounter(program);

  // --- remote management: rfm / ram (TS 102 226) ---------------------------------
  if (want('rfm') || want('ram')) defineRmgmt(program);

  // --- card simulator ---------------------------------------------------------
  if (want('card')) defineCard(program);

  // --- CAT_TP (ETSI TS 102 127) -------------------------------------------------
  if (want('cattp')) defineCattp(program);
  // --- send: push a command to a card or server ----------------------------------
  if (want('send')) defineSendPcsc(program);
  // --- SCP81: RAM over HTTPS with PSK-TLS (GlobalPlatform Amendment B) ------------
  if (want('build')) defineBuildPush(program);
  if (want('scp81')) defineScp81(program);

  // --- golden vectors ---------------------------------------------------------
  if (want('vectors')) defineVectors(program);

  // --- SMPP (send smpp, smsc) ---------------------------------------------------
  if (want('send') || want('smsc')) defineSmpp(program);

  // --- shell completion ---------------------------------------------------------
  if (want('completion')) defineCompletion(program);

  program.helpCommand('help [command...]', 'display help for a command (e.g. help build sms)');
  installHelp(program);
  for (const u of undo.reverse()) u.undo();
  return program;
}

/** The definition of spi decode|encode (buildProgram runs only the invoked command's). */
function defineSpi(program: Command): void {
  const spi = program.command('spi').description('encode or decode an SPI (TS 102 225 cl. 5.1.1)');
  outputOptions(spi.command('decode <hex>').description('decode the two SPI octets, every bit named'))
    .action(async (hex, o) => (await import('./commands/codes.js')).spiDecode(hex, o));
  outputOptions(
    spi
      .command('encode')
      .description('encode an SPI from named options (prints 4 hex digits)')
      .option('--rc', 'redundancy check')
      .option('--cc', 'cryptographic checksum')
      .option('--ds', 'digital signature')
      .option('--cipher', 'ciphering')
      .addOption(new Option('--counter <mode>', 'counter mode').choices(['none', 'available', 'higher', 'one-higher']).default('none'))
      .addOption(new Option('--por <when>', 'proof of receipt').choices(['none', 'required', 'on-error']).default('none'))
      .option('--por-rc', 'PoR with RC')
      .option('--por-cc', 'PoR with CC')
      .option('--por-ds', 'PoR with DS')
      .option('--por-cipher', 'PoR ciphered')
      .addOption(new Option('--por-via <how>', 'PoR transport (TS 31.115)').choices(['deliver-report', 'submit']).default('deliver-report')),
  ).action(async (o) => (await import('./commands/codes.js')).spiEncode(o));
}

/** The definition of kic decode|encode (buildProgram runs only the invoked command's). */
function defineKic(program: Command): void {
  const kic = program.command('kic').description('encode or decode a KIc octet (TS 102 225 cl. 5.1.2)');
  outputOptions(kic.command('decode <hex>').description('decode a KIc octet')).action(async (hex, o) => (await import('./commands/codes.js')).kicDecode(hex, o));
  outputOptions(kic.command('encode').description('encode a KIc octet').requiredOption('--alg <alg>', 'des-cbc|des-ecb|3des-2key-cbc|3des-3key-cbc|aes-cbc').option('--kvn <n>', 'key version number 0-15', '1'))
    .action(async (o) => (await import('./commands/codes.js')).kicEncode(o));
}

/** The definition of kid decode|encode (buildProgram runs only the invoked command's). */
function defineKid(program: Command): void {
  const kid = program.command('kid').description('encode or decode a KID octet (TS 102 225 cl. 5.1.3)');
  outputOptions(kid.command('decode <hex>').description('decode a KID octet (CC reading; --rc for the RC reading)').option('--rc', 'read as the KID of a redundancy check'))
    .action(async (hex, o) => (await import('./commands/codes.js')).kidDecode(hex, o));
  outputOptions(kid.command('encode').description('encode a KID octet').requiredOption('--alg <alg>', 'des-cbc-mac|3des-2key-cbc-mac|3des-3key-cbc-mac|aes-cmac|crc16|crc32').option('--kvn <n>', 'key version number 0-15', '1'))
    .action(async (o) => (await import('./commands/codes.js')).kidEncode(o));
}

/** The definition of tar (buildProgram runs only the invoked command's). */
function defineTar(program: Command): void {
  outputOptions(program.command('tar [hex]').description('name a TAR (TS 101 220 Annex D), or list the known TAR ranges'))
    .action(async (hex, o) => (await import('./commands/codes.js')).tarInfo(hex, o));
}

/** The definition of status (buildProgram runs only the invoked command's). */
function defineStatus(program: Command): void {
  outputOptions(program.command('status [hex]').description('name a response status code (TS 102 225 Table 5), or list them'))
    .action(async (hex, o) => (await import('./commands/codes.js')).statusInfo(hex, o));
}

/** The definition of build sms|por|cattp (buildProgram runs only the invoked command's). */
function defineBuild(program: Command): void {
  const build = program.command('build').description('build a secured packet');
  outputOptions(eachOptions(
    smsDeliverOptions(securityOptions(build.command('sms').description('command packet for SMS-PP (TS 31.115); prints hex, one line per SMS/APDU'))
      .addOption(new Option('--format <layer>', 'output layer').choices(['packet', 'ud', 'tpdu', 'envelope']).default('packet')))
      .option('--pcap <file>', 'also write what was built as a pcap (GSMTAP) for Wireshark')
      .option('--show', 'print the decoded tree of what was built instead of hex'),
    'batch mode: each stdin line is the secured data of one packet, one output line each (SMS of a long packet separated by spaces); the counter advances per packet; with --pcap every frame is appended to one file before its line is printed'),
  ).action(async (o) => {
    const m = await import('./commands/build.js');
    return o.each ? m.buildSmsEach(o) : m.buildSms(o);
  });

  outputOptions(
    keyOptions(build.command('por').description('response packet / Proof of Receipt (TS 102 225 cl. 5.2), secured as the command\'s SPI octet 2 asks'))
      .option('--request <hex>', 'the command packet answered (gives SPI, KIc, KID, TAR, CNTR; keys to read it)')
      .option('--spi <hex>', 'the command\'s SPI (its octet 2 says how the PoR is secured)')
      .option('--kic <hex>', 'the command\'s KIc')
      .option('--kid <hex>', 'the command\'s KID')
      .option('--tar <hex>', 'TAR (echoes the command\'s)')
      .option('--counter <n>', 'CNTR (echoes the command\'s; default from --request, else 0)')
      .option('--status <hex>', 'response status code (TS 102 225 Table 5)', '00')
      .option('--any-status', 'allow a reserved status code (for negative tests)')
      .option('--unsecured', 'send the PoR without RC/CC/DS and unciphered whatever the SPI asks (as cards answer status 06)')
      .option('--data <hex>', 'additional response data, raw')
      .option('--executed <n>', 'compact remote response: number of executed commands (default 1)')
      .option('--sw <hex>', 'compact remote response: status word of the last command')
      .option('--rdata <hex>', 'compact remote response: response data of the last command')
      .option('--expanded', 'expanded remote response (TS 102 226 cl. 5.2.2) from --rapdu/--executed/--bad-format')
      .option('--indefinite', 'with --expanded: AF template with indefinite length')
      .option('--rapdu <[data:]sw>', 'with --expanded: an R-APDU TLV (repeatable)', (v: string, p: string[] = []) => [...p, v], [])
      .option('--bad-format <hex>', 'with --expanded: Bad format TLV (90) value')
      .option('--cc-len <n>', 'CC length (AES-CMAC: 4 or 8)')
      .option('--padding-byte <hex>', 'cipher padding octet', '00')
      .option('--allow-weak-key', 'accept a 3DES key that degrades to single DES (K1 = K2); the output notes it')
      .option('--cattp', 'CAT_TP dialect (RPI 02, BER length, no UDH in the checksum)')
      .option('--da <digits>', 'TP-DA of the SMS-SUBMIT (default 12345678)')
      .option('--concat-ref <n>', 'concatenation reference of a long PoR', '0')
      .option('--pcap <file>', 'also write what was built as a pcap for Wireshark')
      .addOption(new Option('--format <layer>', 'output layer (pdu: CAT_TP data PDU(s), with --cattp)').choices(['packet', 'ud', 'submit', 'deliver-report', 'proactive', 'pdu']).default('packet'))
      .option('--max-pdu <n>', 'format pdu: largest PDU the server accepts; a longer PoR is split with SEG (default 1024)')
      .option('--src-port <n>', 'format pdu: CAT_TP source port (default 1024, the card)')
      .option('--dst-port <n>', 'format pdu: CAT_TP destination port (default 1, the server)')
      .option('--seq <n>', 'format pdu: sequence number of the first data PDU (default 1)')
      .option('--ack <n>', 'format pdu: acknowledgement number (default 0)')
      .option('--window <n>', 'format pdu: window size in PDUs (default 4)')
      .option('--udp-port <[src:]dst>', 'format pdu: UDP ports in the pcap (default 1000:2000)')
      .option('--show', 'print the decoded tree of what was built instead of hex'),
  ).action(async (o) => (await import('./commands/build.js')).buildPor(o));

  // build cattp: the command packet in the TS 102 225 CAT_TP dialect, as CAT_TP data PDU(s)
  outputOptions(
    securityOptions(build.command('cattp').description('command packet in the CAT_TP dialect (TS 102 225: CPI 01, BER length) as CAT_TP data PDU(s), one per line'))
      .addOption(new Option('--format <layer>', 'output layer: the data PDU(s), or the bare packet').choices(['pdu', 'packet']).default('pdu'))
      .option('--max-pdu <n>', 'largest PDU the card accepts (from its SYN); a longer packet is split, SEG on all but the last (default 1024)')
      .option('--src-port <n>', 'CAT_TP source port (default 1, the server)')
      .option('--dst-port <n>', 'CAT_TP destination port (default 1024, the card)')
      .option('--seq <n>', 'sequence number of the first data PDU (default 1)')
      .option('--ack <n>', 'acknowledgement number (default 0)')
      .option('--window <n>', 'window size in PDUs (default 4)')
      .option('--pcap <file>', 'also write the data PDU(s) as UDP in a pcap (UDP 1000 -> 2000 unless --udp-port; tshark -d udp.port==2000,cattp)')
      .option('--udp-port <[src:]dst>', 'UDP ports in the pcap (default 1000:2000)')
      .option('--show', 'print the decoded trees of what was built instead of hex'),
  ).action(async (o) => (await import('./commands/cattp.js')).buildCattp(o));
}

/** The definition of parse [sms|por] (buildProgram runs only the invoked command's). */
function defineParse(program: Command): void {
  const parse = outputOptions(
    parseModeOptions(keyOptions(program.command('parse').description('parse any supported layer (auto-detected) and verify what can be verified'))
      .argument('[hex...]', 'hex input(s); "-" or nothing reads stdin (one input per line)')
      .option('--spi <hex>', 'SPI of the command (for a PoR)')
      .option('--kic <hex>', 'KIc of the command (for a PoR)')
      .option('--kid <hex>', 'KID of the command (for a PoR)')
      .option('--request <hex>', 'the command packet that was sent (takes SPI/KIc/KID/TAR/CNTR from it, for a PoR)')
      .option('--cattp', 'a bare packet is in the CAT_TP dialect (CPI 01 / RPI 02, BER lengths)')
      .option('--expanded', 'read the secured data as expanded remote APDUs')
      .option('--compact', 'read the secured data as compact remote APDUs')),
  ).action(async (hex, o) => {
    const m = await import('./commands/parse.js');
    return o.each ? m.parseEach(hex, o, 'auto') : m.parseAuto(hex, o, 'auto');
  });
  // `parse sms --keyset …`: the subcommand's own options, not the parent's.
  parse.enablePositionalOptions();
  for (const [name, what] of [['sms', 'an SMS-PP command packet (with or without the UDH)'], ['por', 'a response packet / Proof of Receipt']] as const) {
    outputOptions(
      parseModeOptions(keyOptions(parse.command(name).description(`parse ${what}`))
        .argument('[hex...]', 'hex input(s); "-" or nothing reads stdin')
        .option('--spi <hex>', 'SPI of the command (for a PoR)')
        .option('--kic <hex>', 'KIc of the command (for a PoR)')
        .option('--kid <hex>', 'KID of the command (for a PoR)')
        .option('--request <hex>', 'the command packet that was sent (for a PoR)')
        .option('--expanded', 'read the secured data as expanded remote APDUs')
        .option('--compact', 'read the secured data as compact remote APDUs')
        .option('--cattp', 'the packet is in the CAT_TP dialect (CPI 01 / RPI 02, BER lengths)')),
    ).action(async (hex, o) => {
      const m = await import('./commands/parse.js');
      return o.each ? m.parseEach(hex, o, name) : m.parseAuto(hex, o, name);
    });
  }
}

/** The definition of counter show|set|next (buildProgram runs only the invoked command's). */
function defineCounter(program: Command): void {
  const counter = program.command('counter').description('show or adjust the counter state used by --counter next (which file, which value)');
  const counterOpts = (c: Command) =>
    c.option('--keyset <file>', 'keyset file (or env UICC_OTA_KEYSET); its state file is <keyset file>.counters.json, or under $XDG_STATE_HOME/uicc-ota/ when its folder is read-only')
      .option('--state <file>', 'the state file itself (or env UICC_OTA_STATE)')
      .option('--kvn <n>', 'key version number of the KIc (0-15)')
      .option('--tar <hex>', 'TAR (3 octets)');
  counterOpts(counter.command('show').description('print the state file path and the stored counters (all, or the one of --kvn/--tar)'))
    .action(async (o) => (await import('./commands/counter.js')).counterShow(o));
  counterOpts(counter.command('set <value>').description('store VALUE as the last counter issued for --kvn/--tar (the next --counter next gives VALUE+1)'))
    .action(async (v, o) => (await import('./commands/counter.js')).counterSet(v, o));
  counterOpts(counter.command('next').description('reserve and print the next counter for --kvn/--tar, as --counter next does'))
    .action(async (o) => (await import('./commands/counter.js')).counterNext(o));
}

/** The definition of rfm and ram (TS 102 226) (buildProgram runs only the invoked command's). */
function defineRmgmt(program: Command): void {
  /** Security, bearer and output options shared by rfm and ram (those of build sms / build cattp, without --data). */
  const rmgmtOptions = (c: Command): Command =>
    outputOptions(keyOptions(
      c
        .option('--spi <hex>', 'SPI, 2 octets (default 1621, or the keyset default)')
        .option('--kic <hex>', 'KIc octet (default: from the keyset KVN and cipher)')
        .option('--kid <hex>', 'KID octet (default: from the keyset KVN and CC algorithm)')
        .option('--tar <hex>', 'TAR, 3 octets (default per TS 101 220 Annex D: rfm --family uicc B00000, --family sim B00010, ram 000000; a keyset default TAR is not used)')
        .option('--counter <n|next>', 'CNTR of the first packet (one more per further packet); "next" reserves one stored counter per packet', '0')
        .option('--state <file>', 'counter state file for --counter next (or env UICC_OTA_STATE; default <keyset file>.counters.json, see uicc-ota counter show)')
        .option('--apdu <hex>', 'a further C-APDU appended to the script (repeatable)', collect, [])
        .option('--expanded', 'expanded remote APDU format (TS 102 226 cl. 5.2) instead of compact')
        .option('--indefinite', 'with --expanded: indefinite-length command scripting template')
        .option('--immediate-action <hex>', 'with --expanded: Immediate Action TLV (81) value')
        .option('--error-action <hex>', 'with --expanded: Error Action TLV (82) value')
        .option('--script-chaining <hex>', 'with --expanded: Script Chaining TLV (83) value')
        .option('--cc-len <n>', 'CC length in octets (AES-CMAC: 4 or 8)')
        .option('--padding-byte <hex>', 'cipher padding octet', '00')
        .option('--allow-weak-key', 'accept a 3DES key that degrades to single DES (K1 = K2, as test cards use)')
        .addOption(new Option('--bearer <b>', 'bearer the packets must fit: sms (one SMS, or --max-sms concatenated) or cattp (one SDU of --max-sdu)').choices(['sms', 'cattp']).default('sms'))
        .option('--max-sms <n>', 'sms: largest number of concatenated SMS per packet (default 1)')
        .option('--max-sdu <n>', 'cattp: largest SDU (packet) the card accepts (default 1024)')
        .addOption(new Option('--format <layer>', 'output layer: sms packet|ud|tpdu|envelope (default packet), cattp pdu|packet (default pdu); scp81-scripts: the script as SCP81 command strings (expanded, indefinite; nothing secured, no counter) in the JSON file scp81 serve --scripts reads').choices(['packet', 'ud', 'tpdu', 'envelope', 'pdu', 'scp81-scripts']))
        .option('--scp81-agent <id>', 'with --format scp81-scripts: the agent (X-Admin-From or PSK identity) the scripts are for (default *: every agent)')
        .option('--max-script <n>', 'with --format scp81-scripts: largest command string in octets (the agent\'s buffer); a longer script is split into several, run in order (default: one string)')
        .option('--oa <digits>', 'sms: TP-OA originating address digits (default 12345678)')
        .option('--oa-ton <n>', 'sms: TP-OA type of number 0-7')
        .option('--oa-npi <n>', 'sms: TP-OA numbering plan 0-15')
        .option('--pid <hex>', 'sms: TP-PID (default 7F)')
        .option('--dcs <hex>', 'sms: TP-DCS (default F6)')
        .option('--scts <when>', 'sms: TP-SCTS as build sms (default 2026-01-01 00:00:00 +00)')
        .option('--smsc <digits>', 'sms: SMSC address in the ENVELOPE')
        .option('--concat-ref <n>', 'sms: concatenation reference', '0')
        .option('--concat-16', 'sms: use the 16-bit concatenation IE (08)')
        .option('--max-pdu <n>', 'cattp: largest PDU the card accepts; a longer packet is split with SEG (default 1024)')
        .option('--src-port <n>', 'cattp: source port (default 1)')
        .option('--dst-port <n>', 'cattp: destination port (default 1024)')
        .option('--seq <n>', 'cattp: sequence number of the first data PDU (default 1; further packets continue)')
        .option('--ack <n>', 'cattp: acknowledgement number (default 0)')
        .option('--window <n>', 'cattp: window size (default 4)')
        .option('--dry-run', 'show the script as a tree (packets and C-APDUs); nothing secured, no counter reserved')
        .option('--show', 'print the script tree of the secured packets instead of hex')
        .option('--por <hex|->', 'decode the PoR(s) of this script (one per line; "-" reads stdin) against what was asked; with --format scp81-scripts: the response strings (hex, or the JSON lines of scp81 serve --responses); nothing is built')
        .option('--card <file>', 'send each packet to the card simulator (CARD.json, updated as card process does) and decode its PoRs')
        .option('--card-state <file>', 'with --card: the card\'s counter state file (as card process --state)')
        .addOption(new Option('--send <transport>', 'send each packet and decode its PoR before the next: pcsc (ENVELOPEs to the card in a PC/SC reader, as send pcsc), smpp (submit_sm to an SMSC, as send smpp) or cattp (with --bearer cattp: listen on UDP as the OTA server, as cattp serve, and push each packet as an SDU of the card\'s CAT_TP session)').choices(['pcsc', 'smpp', 'cattp']))
        .option('--reader <name|index>', 'with --send pcsc: the reader (default: the first reader with a card)')
        .option('--cla <cla>', 'with --send pcsc: card family, 00 UICC (GET RESPONSE 00 C0, ENVELOPE 80 C2) or A0 2G SIM, as send pcsc (default 00)')
        .option('--terminal-profile <hex|none>', 'with --send pcsc: TERMINAL PROFILE sent first, as send pcsc (default 03010002); "none" sends none')
        .option('--select-adf [aid]', 'with --send pcsc: SELECT this ADF first (default AID: the USIM, A0000000871002)')
        .option('--proactive-result <hex>', 'with --send pcsc: general result of the TERMINAL RESPONSE to proactive commands other than SEND SHORT MESSAGE (default 00)')
        .option('--trace', 'with --send: every C-APDU / R-APDU (pcsc), SMPP PDU (smpp) or CAT_TP PDU (cattp) on stderr')
        .option('--host <addr>', 'with --send smpp: SMSC address; with --send cattp: the address to listen on (default 127.0.0.1)')
        .option('--port <n>', 'with --send smpp: SMSC TCP port; with --send cattp: the UDP port to listen on (0: a free port, printed on stderr)')
        .option('--system-id <id>', 'with --send smpp: SMPP system_id')
        .option('--password <pw|@file>', 'with --send smpp: SMPP password (or env UICC_OTA_SMPP_PASSWORD)')
        .option('--dest <msisdn>', 'with --send smpp: the card\'s MSISDN (destination_addr)')
        .option('--source <addr>', 'with --send smpp: the OTA server\'s address (source_addr)')
        .option('--timeout <ms>', 'with --send: bound on each transport step and on the wait for each PoR (pcsc default 5000, smpp 10000; cattp 60000, also the wait for the card to connect)'),
    ));
  const rfm = program.command('rfm').description('remote file management (TS 102 226 cl. 8.1): SELECT, READ/UPDATE BINARY or RECORD by path, secured like build sms / build cattp');
  const rfmTarget = (c: Command): Command =>
    c
      .requiredOption('--path <path>', 'file path from the MF, e.g. 3F00/7F20/6F07 (4 hex digits per FID)')
      .addOption(new Option('--family <f>', 'sim: class A0, SELECT each FID (TS 51.011); uicc: class 00, SELECT by path (TS 102 221)').choices(['sim', 'uicc']).default('uicc'))
      .addOption(new Option('--select <how>', 'uicc: one SELECT by path from the MF (P1 08) or a SELECT per FID').choices(['path', 'fid']));
  const rfmRecord = (c: Command): Command =>
    c
      .option('--record <n>', 'record number (READ/UPDATE RECORD instead of BINARY)')
      .addOption(new Option('--record-mode <mode>', 'record addressing (P2)').choices(['absolute', 'next', 'previous', 'current']))
      .option('--offset <n>', 'BINARY: offset in the EF (default 0)');
  rmgmtOptions(rfmRecord(rfmTarget(rfm.command('read').description('read an EF by path: SELECT, then READ BINARY (offset) or READ RECORD'))).option('--length <n>', 'octets to read, 1-256 (default 0: Le 00, the whole EF or record)'))
    .action(async (o) => (await import('./commands/rmgmt.js')).rfmCommand('read', o));
  rmgmtOptions(rfmRecord(rfmTarget(rfm.command('update').description('write an EF by path: SELECT, then UPDATE BINARY (offset) or UPDATE RECORD'))).requiredOption('--data <hex>', 'the octets to write'))
    .action(async (o) => (await import('./commands/rmgmt.js')).rfmCommand('update', o));
  rmgmtOptions(rfmTarget(rfm.command('select').description('select a file and read its FCP (UICC) or response parameters (SIM)')))
    .action(async (o) => (await import('./commands/rmgmt.js')).rfmCommand('select', o));

  const ram = program.command('ram').description('remote application management (TS 102 226 cl. 8.2, GlobalPlatform): load, install, delete, list, put keys');
  const installOpts = (c: Command): Command =>
    c
      .option('--package-aid <hex>', 'executable load file AID (load: default the CAP\'s package AID)')
      .option('--applet-aid <hex>', 'executable module (applet class) AID (load --install: default the CAP\'s first applet)')
      .option('--instance-aid <hex>', 'application instance AID (default the applet AID)')
      .option('--privileges <hex>', 'privileges, 1 or 3 octets (default 00)')
      .option('--app-params <hex>', 'application specific parameters (C9 value; default empty)')
      .option('--volatile-quota <n>', 'volatile memory quota (C7)')
      .option('--non-volatile-quota <n>', 'non-volatile memory quota (C8)')
      .option('--toolkit-params <hex>', 'SIM file access and toolkit parameters (CA value, TS 102 226 cl. 8.2.1.3.2.1), raw')
      .option('--access-domain <hex>', 'toolkit: access domain (default 00, full access)')
      .option('--priority <n>', 'toolkit: priority level (default 1)')
      .option('--max-timers <n>', 'toolkit: maximum number of timers (default 0)')
      .option('--menu-text-length <n>', 'toolkit: maximum text length of a menu entry (default 16)')
      .option('--menu <pos:id>', 'toolkit: a menu entry, position:identifier (repeatable)', collect, [])
      .option('--max-channels <n>', 'toolkit: maximum number of channels (default 0)')
      .option('--msl <hex>', 'toolkit: minimum security level (default none)')
      .option('--toolkit-tar <hex>', 'toolkit: a TAR of the instance (repeatable; none: from the instance AID)', collect, [])
      .option('--uicc-toolkit', 'put the toolkit options in the UICC Toolkit Application specific parameters (EA/80, TS 102 226 cl. 8.2.1.3.2.2.1) instead of the SIM toolkit field (EF/CA)')
      .option('--max-services <n>', 'UICC toolkit: maximum number of services (implies --uicc-toolkit; default 0)')
      .option('--uicc-toolkit-params <hex>', 'UICC Toolkit Application specific parameters (EA/80 value), raw')
      .option('--uicc-access <[adf]:domain[:dap]>', 'UICC Access Application specific parameters (EA/81): a file system (no AID: the UICC shared file system) and its access domain (hex, e.g. :00 full access), repeatable', collect, [])
      .option('--uicc-admin-access <[adf]:domain[:dap]>', 'UICC Administrative Access Application specific parameters (EA/82), as --uicc-access, repeatable', collect, []);
  rmgmtOptions(installOpts(ram.command('load').description('load a CAP file: INSTALL [for load], LOAD blocks (sized to fit the bearer); with --install also INSTALL [for install and make selectable]'))
    .requiredOption('--cap <file>', 'the CAP file (a ZIP of Java Card components)')
    .option('--sd-aid <hex>', 'security domain AID for INSTALL [for load] (default empty: the receiving SD)')
    .option('--max-block <n>', 'octets of the Load File Data Block per LOAD, 1-255 (default: the largest that fits the bearer)')
    .option('--code-space <n>', 'load parameter: non-volatile code space limit (C6)')
    .addOption(new Option('--hash <alg>', 'Load File Data Block hash in INSTALL [for load] (over the C4 value; GP cl. C.2)').choices(['sha1', 'sha256']))
    .option('--dap <sd-aid[:signature]>', 'a DAP block (E2: 4F SD AID, C3 signature) before the Load File Data Block; the signature is taken as given (uicc-ota computes none; without one the block is unsigned); needs --hash; repeatable', collect, [])
    .option('--install', 'also install and make selectable the applet after loading'))
    .action(async (o) => (await import('./commands/rmgmt.js')).ramCommand('load', o));
  rmgmtOptions(installOpts(ram.command('install').description('INSTALL [for install and make selectable] an applet of a loaded package')))
    .action(async (o) => (await import('./commands/rmgmt.js')).ramCommand('install', o));
  rmgmtOptions(ram.command('delete').description('DELETE an application instance or load file by AID').requiredOption('--aid <hex>', 'AID to delete').option('--related', 'also delete related objects (P2 80: a load file with its instances)'))
    .action(async (o) => (await import('./commands/rmgmt.js')).ramCommand('delete', o));
  rmgmtOptions(ram.command('status').description('GET STATUS: list the registry (answer decoded with --por or --card)')
    .addOption(new Option('--subset <s>', 'what to list (P1)').choices(['isd', 'apps', 'load-files', 'modules']).default('apps'))
    .option('--aid <hex>', 'search criterion: this AID (default: every AID)')
    .option('--legacy', 'ask for the older fixed response layout (P2 00) instead of TLVs (P2 02)'))
    .action(async (o) => (await import('./commands/rmgmt.js')).ramCommand('status', o));
  rmgmtOptions(ram.command('put-key').description('PUT KEY: new keys wrapped with the KIK of the securing key set, with key check values')
    .requiredOption('--new-kvn <n>', 'key version number of the new keys')
    .option('--replace-kvn <n>', 'KVN of the key set to replace (P1; default 0: add a new key set)')
    .option('--new-kic <hex|@file|env:NAME>', 'new KIc (key identifier 1)')
    .option('--new-kid <hex|@file|env:NAME>', 'new KID (key identifier 2)')
    .option('--new-kik <hex|@file|env:NAME>', 'new KIK (key identifier 3)')
    .addOption(new Option('--new-alg <alg>', 'type of the new keys').choices(['3des', 'aes']).default('3des'))
    .option('--kik-from <src>', 'where the wrapping KIK comes from: keyset (the key set of the KID/KIc used, default)')
    .option('--kik-key <hex|@file|env:NAME>', 'the wrapping KIK itself instead of the keyset\'s')
    .addOption(new Option('--kik-alg <alg>', 'with --kik-key: its type').choices(['3des', 'aes'])))
    .action(async (o) => (await import('./commands/rmgmt.js')).ramCommand('put-key', o));
}

/** The definition of card process|vpcd (buildProgram runs only the invoked command's). */
function defineCard(program: Command): void {
  const card = program.command('card').description('simulated card (receiving entity): answer command packets as described by a CARD.json');
  card
    .command('init')
    .description('write a documented example CARD.json (refuses to replace a file without --force)')
    .option('--out <file>', 'file to write ("-" for stdout)', 'CARD.json')
    .option('--force', 'replace an existing file')
    .action(async (o) => (await import('./commands/card.js')).cardInit(o));
  outputOptions(
    card
      .command('process')
      .description('answer a command packet (bare packet, SMS user data, TPDU, ENVELOPE or CAT_TP data PDUs) as the card would; prints the PoR as hex')
      .argument('[packet...]', 'hex (every segment of a concatenated SMS as its own argument); "-" or nothing reads stdin, one per line')
      .requiredOption('--card <file>', 'the card (CARD.json); its RE counters are updated in place unless --state is given')
      .option('--state <file>', 'keep the RE counters in this file instead (CARD.json is then only read)')
      .option('--dry-run', 'do not store the counter')
      .option('--show', 'print the processing trace and the decoded PoR as a tree')
      .option('--expect-status <XX[,YY]>', 'statuses that are the expected answer (negative tests): exit 0 exactly when the card\'s status is one of them (without it any status but 00, 0B, 0C exits 1)'),
  ).action(async (packet, o) => (await import('./commands/card.js')).cardProcess(packet, o));

  // card vpcd: the simulator as a virtual card in a vsmartcard vpcd reader (PC/SC through pcscd)
  card
    .command('vpcd')
    .description('run the card simulator as a virtual card on the vsmartcard vpcd reader driver (pcscd), until Ctrl-C; counters persist in CARD.json (or --state)')
    .requiredOption('--card <file>', 'the card (CARD.json); its RE counters are updated in place unless --state is given')
    .option('--state <file>', 'keep the RE counters in this file instead (CARD.json is then only read for them), as card process --state')
    .option('--host <addr>', 'host of the vpcd reader driver (pcscd)', '127.0.0.1')
    .option('--port <n>', 'TCP port of the vpcd reader (35963: "Virtual PCD 00 00", 35964: "… 00 01")', '35963')
    .option('--atr <hex>', 'ATR to answer (default a T=0 UICC ATR)')
    .option('--dry-run', 'do not store the counters')
    .option('--trace', 'log every C-APDU and R-APDU on stderr')
    .option('--quiet', 'no log on stderr')
    .action(async (o) => (await import('./commands/card-vpcd.js')).cardVpcd(o));
}

/** The definition of cattp build|serve|send (buildProgram runs only the invoked command's). */
function defineCattp(program: Command): void {
  const cattp = program.command('cattp').description('CAT_TP (ETSI TS 102 127): build PDUs, run OTA sessions over UDP');
  outputOptions(
    cattp
      .command('build')
      .description('build one CAT_TP PDU from its header fields; prints its hex')
      .argument('<type>', 'syn | synack | ack | data | eack | rst | nul')
      .option('--src-port <n>', 'source CAT_TP port (default 1024)')
      .option('--dst-port <n>', 'destination CAT_TP port (default 1)')
      .option('--seq <n>', 'sequence number (default 0)')
      .option('--ack <n>', 'acknowledgement number (default 0)')
      .option('--window <n>', 'window size in PDUs (default 4; rst 0)')
      .option('--max-pdu <n>', 'syn/synack: maximum PDU size the sender accepts (default 1024)')
      .option('--max-sdu <n>', 'syn/synack: maximum SDU size the sender accepts (default 2048)')
      .option('--identification <hex>', 'syn/synack: identification octets (default none)')
      .option('--iccid <digits>', 'syn/synack: identification = this ICCID (BCD, nibble-swapped, as cards send it)')
      .option('--eack <n,n,...>', 'eack: sequence numbers received out of sequence')
      .option('--reason <n>', 'rst: reason code (default 0, normal ending)')
      .option('--rst-ack', 'rst: also set ACK (flags 50)')
      .option('--data <hex>', 'data octets (ack/data/eack; "ack --data" is a data PDU)')
      .option('--seg', 'set SEG: a segment that is not the last of its SDU')
      .option('--version <n>', 'version bits 0-3 (default 0; others only to test a receiver)')
      .option('--flags <hex>', 'testing: raw flag bits instead of the type\'s')
      .option('--hlen <n>', 'testing: header length instead of the computed one')
      .option('--data-length <n>', 'testing: data length instead of the computed one')
      .option('--checksum <hex>', 'testing: checksum instead of the computed one')
      .option('--pcap <file>', 'also write the PDU as UDP in a pcap (UDP 1000 -> 2000 unless --udp-port; tshark -d udp.port==2000,cattp)')
      .option('--udp-port <[src:]dst>', 'UDP ports in the pcap (default 1000:2000)')
      .option('--show', 'print the decoded tree instead of hex'),
  ).action(async (type, o) => (await import('./commands/cattp.js')).cattpBuild(type, o));

  const sessionOptions = (c: Command): Command =>
    c
      .option('--timeout <ms>', 'retransmission timeout per PDU (default 1000)')
      .option('--retries <n>', 'retransmissions before giving up: RST 05, exit 4 (default 10)')
      .option('--response-timeout <ms>', 'how long to wait for the peer\'s SDU: once ours is acknowledged, or (send --card/--respond) after OPEN and after each answer (default: the whole retransmission span, timeout with back-off over all retries)')
      .option('--max-pdu <n>', 'largest PDU we accept, announced in our SYN / SYN-ACK (default 1024)')
      .option('--max-sdu <n>', 'largest SDU we accept (default 2048)')
      .option('--window <n>', 'our receive window in PDUs (default 4)')
      .option('--isn <n>', 'our initial sequence number (default random)')
      // --- robustness (issue 16): retransmission back-off and the half-open cap (src/cattp/session.ts) ---
      .option('--backoff <factor>', 'each retransmission waits this many times longer than the previous one (default 2; 1 = fixed timeout)')
      .option('--max-timeout <ms>', 'longest wait between retransmissions with --backoff (default 4 x --timeout)')
      .option('--max-half-open <n>', 'serve: most connections in SYN-RCVD; beyond it the oldest is dropped and counted (default 256)')
      // --- end robustness ---
      .option('--pcap <file>', 'write the whole session (every datagram both ways) as UDP in a pcap')
      .option('--brief', 'PDU log: one line per PDU instead of a tree (the log goes to stderr)')
      .option('--quiet', 'no PDU log');
  outputOptions(
    sessionOptions(
      securityOptions(
        cattp
          .command('serve')
          .description('OTA server side: listen on UDP; on each connection push the command packet (security options as build cattp, or --packet) and verify the PoR; without a command, print what the card sends (answer with --respond)'),
      ),
    )
      .requiredOption('--port <n>', 'UDP port to listen on (0: a free port, printed on stderr)')
      .option('--host <addr>', 'address to bind', '127.0.0.1')
      .option('--cattp-port <n>', 'serve only this CAT_TP port (SYNs to others get RST 03)')
      .option('--packet <hex>', 'push this command packet (CAT_TP dialect) instead of building one')
      .option('--respond <hex>', 'no command to push: answer each SDU the card sends first with this')
      .option('--identification <hex>', 'identification in our SYN-ACK (default none)')
      .option('--max-sessions <n>', 'stop after this many sessions (connections that completed the handshake; default: until SIGINT/SIGTERM)')
      .option('--idle-timeout <ms>', 'close an OPEN connection silent for this long (default 30000)')
      .option('--expect-status <xx[,yy]>', 'negative tests: the PoR status(es) expected for the pushed command (TS 102 225 Table 5); exactly these pass (default: 00, 0B, 0C)'),
  ).action(async (o) => (await import('./commands/cattp.js')).cattpServe(o));
  outputOptions(
    sessionOptions(
      keyOptions(
        cattp
          .command('send')
          .description('card side: open a connection (SYN with the identification), then answer the command packets the server pushes (--card, --respond), or send --sdu first'),
      ),
    )
      .requiredOption('--to <host:port>', 'the server\'s UDP address')
      .option('--card <file>', 'answer each command packet with the card simulator (CARD.json); its ICCID is the identification unless --iccid/--identification; commands are shown read with the card\'s keys')
      .option('--state <file>', 'with --card: the card\'s counters file (as card process --state)')
      .option('--dry-run', 'with --card: do not store the card\'s counters')
      .option('--respond <hex>', 'answer each SDU with these octets')
      .option('--sdu <hex>', 'send this SDU first, then wait for the answer')
      .option('--no-wait', 'with --sdu: close once it is acknowledged')
      .option('--src-port <n>', 'our CAT_TP port (default 1024)')
      .option('--dst-port <n>', 'the server\'s CAT_TP port (default 1)')
      .option('--iccid <digits>', 'identification in our SYN: this ICCID')
      .option('--identification <hex>', 'identification in our SYN: these octets')
      .option('--local-port <n>', 'local UDP port (default any)')
      .option('--expect-status <xx[,yy]>', 'with --sdu: the PoR status(es) expected (TS 102 225 Table 5; negative tests); exactly these pass (default: 00, 0B, 0C)'),
  ).action(async (o) => (await import('./commands/cattp.js')).cattpSend(o));
}

/** The definition of send pcsc (buildProgram runs only the invoked command's). */
function defineSendPcsc(program: Command): void {
  const send = program.commands.find((c) => c.name() === 'send') ?? program.command('send').description('send a command packet and read the PoR');
  outputOptions(
    smsDeliverOptions(securityOptions(send.command('pcsc').description('build the SMS-PP ENVELOPE(s) as build sms does, send them to the card in a PC/SC reader as a terminal would, and verify the PoR as parse por does'))
      .option('--reader <name|index>', 'reader: index (0-based, as --list shows), exact name or a unique part of it (default: the first reader with a card)')
      .option('--list', 'list the readers and the ATRs of their cards, then exit')
      .option('--terminal-profile <hex|none>', 'TERMINAL PROFILE sent first (default 03010002: SMS-PP data download, command result, SEND SHORT MESSAGE); "none" sends none')
      .option('--select-adf [aid]', 'SELECT this ADF first (default AID: the USIM, A0000000871002)')
      .addOption(new Option('--cla <cla>', 'card family: 00 UICC (GET RESPONSE 00 C0, ENVELOPE 80 C2) or A0 2G SIM (A0 for all)').default('00'))
      .option('--proactive-result <hex>', 'general result of the TERMINAL RESPONSE to proactive commands other than SEND SHORT MESSAGE (default 00)')
      .option('--timeout <ms>', 'bound on connecting and on each APDU (default 5000)')
      .option('--trace', 'print every C-APDU / R-APDU as a tree on stderr')
      .option('--pcap <file>', 'record the APDU exchange as GSMTAP SIM frames (parse --read reads it, Wireshark decodes it)')
      .option('--each', 'batch mode: each stdin line is the secured data of one command, one PoR line each (counter advances per line), on one connection to the card')
      .option('--expect-status <xx[,yy]>', 'negative tests: the PoR status(es) expected (TS 102 225 Table 5); exactly these pass (default: 00, 0B, 0C)'))
      .addHelpText('after', '\nExit status: 0 PoR verified (or none asked for); 1 check failed or PoR status not 00; 2 bad options;\n3 the optional PC/SC binding "pcsclite" is not installed (npm install pcsclite), or not built (npm rebuild pcsclite; README, PC/SC set-up);\n4 no PC/SC service, reader or card, unexpected status word, or timeout.'),
  ).action(async (o) => (await import('./commands/send-pcsc.js')).sendPcscCommand(o));
}

/** The definition of build push (SCP81) (buildProgram runs only the invoked command's). */
function defineBuildPush(program: Command): void {
  const build = program.commands.find((c) => c.name() === 'build') ?? NOT_BUILT;
  outputOptions(
    smsDeliverOptions(securityOptions(build.command('push').description('SCP81 push: the administration session triggering parameters (GP Amendment B, tag 81) as the secured data of a command packet for the security domain (TAR default 000000), framed like build sms'))
      .option('--connect <host:port>', 'connection parameters (84): TCP client to this IPv4/IPv6 address and port')
      .option('--bearer <hex>', 'with --connect: bearer description value (default 03, default bearer)')
      .option('--buffer-size <n>', 'with --connect: buffer size (default 1500)')
      .option('--apn <name>', 'with --connect: network access name')
      .option('--connection <hex>', 'raw contents of the connection parameters TLV (84) instead of --connect')
      .option('--psk-identity <text>', 'security parameters (85): PSK identity')
      .option('--psk-kvn <hex>', 'with --psk-identity: key version number of the PSK (default from the keyset psk entry, else 40)')
      .option('--psk-kid <hex>', 'with --psk-identity: key identifier of the PSK (default from the keyset psk entry, else 01)')
      .option('--retry-counter <n>', 'retry policy (86): retry counter')
      .option('--retry-delay <hex>', 'with --retry-counter: retry waiting delay, the 3 octets of the timer value (hh mm ss, coded as given)')
      .option('--admin-host <text>', 'HTTP POST parameters (89): administration host (8A, the Host header)')
      .option('--agent-id <text>', 'HTTP POST parameters (89): agent ID (8B, the X-Admin-From header)')
      .option('--admin-uri <text>', 'HTTP POST parameters (89): administration URI (8C, the first POST\'s request-URI)')
      .addOption(new Option('--format <layer>', 'output layer').choices(['packet', 'ud', 'tpdu', 'envelope']).default('packet')))
      .option('--pcap <file>', 'also write what was built as a pcap (GSMTAP)')
      .option('--show', 'print the decoded tree of what was built instead of hex'),
  ).action(async (o) => (await import('./commands/scp81.js')).buildPushCmd(o));
}

/** The definition of scp81 parse-push|parse|serve|agent (buildProgram runs only the invoked command's). */
function defineScp81(program: Command): void {
  const scp81 = program.command('scp81').description('SCP81 (GlobalPlatform Amendment B): RAM over HTTPS with PSK-TLS: parse pushes and HTTP messages, run the admin server or the admin agent');
  outputOptions(scp81.command('parse-push').description('decode administration session triggering parameters (the 81 TLV, secured data of a push)').argument('[hex]', 'hex; "-" or nothing reads stdin'))
    .action(async (hex, o) => (await import('./commands/scp81.js')).parsePushCmd(hex, o));
  outputOptions(scp81.command('parse').description('parse captured admin protocol HTTP messages (agent POSTs, server answers; several in sequence), X-Admin-* headers and the scripts inside')
    .argument('[file]', 'raw HTTP bytes (or hex text); "-" or nothing reads stdin')
    .option('--hex', 'the input is hex text'))
    .action(async (file, o) => (await import('./commands/scp81.js')).scp81Parse(file, o));
  const tlsCli = (c: Command): Command =>
    c
      .option('--cipher <list>', 'PSK cipher suites, OpenSSL names, in order of preference (default PSK-AES128-CBC-SHA256:PSK-AES128-CBC-SHA)')
      .option('--tls-min <v>', 'lowest TLS version: 1.0, 1.1, 1.2 (default 1.2)')
      .option('--tls-max <v>', 'highest TLS version (default 1.2)')
      .option('--tickets', 'allow TLS session tickets (off: cards abort on them)')
      .option('--etm', 'allow encrypt-then-MAC (off: cards abort on it)')
      .option('--keylog <file>', 'write the TLS secrets in NSS key-log format (Wireshark: tls.keylog_file)')
      .option('--timeout <ms>', 'handshake and idle timeout per connection (default 30000)')
      .option('--quiet', 'no exchange log');
  outputOptions(tlsCli(scp81.command('serve').description('admin server: PSK-TLS listener answering the agents\' POSTs with command scripts (200 + X-Admin-Next-URI) until their queue is empty (204); logs each exchange as a tree'))
    .requiredOption('--port <n>', 'TCP port (0: a free port, printed on stderr)')
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--keyset <file>', 'keyset JSON with a "psk" list of {identity, key} (or env UICC_OTA_KEYSET)')
    .option('--psk <identity:hex>', 'a PSK identity and its key (repeatable; key may be @file or env:NAME)', collect, [])
    .option('--script <hex>', 'a command string (Command Scripting template AA/AE) for every agent (repeatable, in order)', collect, [])
    .option('--apdu <hex>', 'a C-APDU for every agent, one script per APDU (repeatable)', collect, [])
    .option('--batch', 'with --apdu: all APDUs in one script')
    .option('--definite', 'scripts built from APDUs use AA (definite length) instead of AE')
    .option('--scripts <file>', 'JSON {"AGENT-ID | PSK identity | *": [hex script | {"apdus": [hex, ...]}, ...]}')
    .option('--chunked', 'send scripts with Transfer-Encoding: chunked (default Content-Length)')
    .option('--etsi', 'ETSI TS 102 226 content types (command-data / response-data) instead of GlobalPlatform')
    .option('--targeted-application <aid>', 'X-Admin-Targeted-Application: //aid/RID/PIX of this AID (hex)')
    .option('--responses <file>', 'append every response string received as a JSON line (R-APDUs, agent, identity)')
    .option('--max-sessions <n>', 'stop after this many TLS sessions (default: until SIGINT/SIGTERM)'))
    .action(async (o) => (await import('./commands/scp81.js')).scp81Serve(o));
  outputOptions(tlsCli(scp81.command('agent').description('admin agent (card side): connect with PSK-TLS, POST, run each script (card simulator or status words), follow X-Admin-Next-URI until 204'))
    .option('--to <host:port>', 'the admin server (default: from --push)')
    .option('--push <hex>', 'take server, PSK identity, host, agent ID and URI from these triggering parameters (81 TLV)')
    .option('--psk-identity <text>', 'PSK identity')
    .option('--psk-key <hex|@file|env:NAME>', 'the PSK (or env UICC_OTA_PSK, or the keyset psk entry of the identity)')
    .option('--keyset <file>', 'keyset JSON with a "psk" list (or env UICC_OTA_KEYSET)')
    .option('--uri <path>', 'request-URI of the first POST (default / or from --push)')
    .option('--host-header <text>', 'Host header (default the server address or from --push)')
    .option('--agent-id <text>', 'X-Admin-From (default from --push, else the PSK identity)')
    .option('--card <file>', 'answer C-APDUs with the card simulator (CARD.json, application --tar; its files, GlobalPlatform registry and key sets answer and are stored back after each script)')
    .option('--dry-run', 'with --card: do not store what the scripts change in CARD.json')
    .option('--tar <hex>', 'with --card: the application (security domain) running the scripts', '000000')
    .option('--sw <hex>', 'without --card: SW for every C-APDU (default 9000)')
    .option('--answer <prefix=sw[:data]>', 'without --card: SW (and data) for C-APDUs starting with PREFIX (repeatable)', collect, [])
    .option('--status <status>', 'report this X-Admin-Script-Status instead of running scripts (unknown-application, not-a-security-domain, security-error)')
    .option('--content-length', 'send response strings with Content-Length (default chunked)')
    .option('--etsi', 'ETSI TS 102 226 response content type')
    .option('--resume', 'first POST with X-Admin-Resume: true'))
    .action(async (o) => (await import('./commands/scp81.js')).scp81Agent(o));
}

/** The definition of vectors verify|record (buildProgram runs only the invoked command's). */
function defineVectors(program: Command): void {
  const vectors = program.command('vectors').description('golden-vector regression suites (vectors/schema.json)');
  vectors
    .command('verify')
    .description('run vector files/folders (default vectors/): build each case and compare bytes, parse and compare fields')
    .argument('[path...]', 'vector files or folders', [])
    .option('--filter <pattern>', 'only cases whose id or kind contains/matches this (regex)')
    .option('--json', 'machine-readable report')
    .option('--no-color', 'no colours')
    .action(async (paths, o) => (await import('./commands/vectors.js')).vectorsVerify(paths, o));
  // vectors record: the options of build sms / build por / build cattp / cattp build under the same names; the kind says which apply.
  securityOptions(
    vectors
      .command('record')
      .description('run a build (any kind, with the options of build sms|por|cattp or cattp build) and write it as a vector case for review')
      .requiredOption('--out <file>', 'vector file to create or add the case to')
      .option('--id <id>', 'case id (default derived from the inputs)')
      .addOption(new Option('--kind <kind>', 'what to build (default command, or what --format / --type imply)').choices(['command', 'response', 'sms', 'por', 'cattp-pdu', 'cattp']))
      .addOption(new Option('--dialect <d>', 'dialect of a command/response (default sms-pp; sms, por are sms-pp, cattp, cattp-pdu cat_tp)').choices(['sms-pp', 'cat_tp']))
      .option('--cattp', 'the CAT_TP dialect, as build por --cattp (= --dialect cat_tp)')
      .addOption(new Option('--format <layer>', 'output layer as the build command names it: packet; sms: ud|tpdu|envelope; por: ud|submit|deliver-report|proactive; cattp: pdu')
        .choices(['packet', 'ud', 'tpdu', 'envelope', 'submit', 'deliver-report', 'proactive', 'pdu']))
      .option('--description <text>', 'what the case is about')
      .option('--provenance <text>', 'how the expected value was obtained independently (required for a golden vector)')
      .option('--force', 'replace an existing case with the same id')
      .option('--store-keys', 'write inline --kic-key/--kid-key into the file (test keys only; default: no key material, refer to --keyset)')
      .option('--json', 'print what was recorded as JSON (id, replaced, out, hex, the case) instead of the line')
      .option('--oa <digits>', 'sms: TP-OA digits; "+…" international (default 12345678)')
      .option('--oa-ton <n>', 'sms: TP-OA type of number 0-7')
      .option('--oa-npi <n>', 'sms: TP-OA numbering plan 0-15')
      .option('--pid <hex>', 'sms: TP-PID (default 7F)')
      .option('--dcs <hex>', 'sms: TP-DCS (default F6)')
      .option('--scts <when>', 'sms: TP-SCTS: an ISO date, 14 hex digits or "now", stored as the 7 octets (default 2026-01-01 00:00:00 +00)')
      .option('--smsc <digits>', 'sms: SMSC address in the ENVELOPE')
      .option('--concat-ref <n>', 'sms, por: concatenation reference (default 0)')
      .option('--concat-16', 'sms: use the 16-bit concatenation IE (08)')
      .option('--request <hex>', 'response, por: the command packet answered (gives SPI, KIc, KID, TAR, CNTR)')
      .option('--status <hex>', 'response, por: response status code (default 00)')
      .option('--any-status', 'response, por: allow a reserved status code')
      .option('--unsecured', 'response, por: an error PoR sent without security')
      .option('--executed <n>', 'response, por: compact (or with --expanded) remote response: number of executed commands')
      .option('--sw <hex>', 'response, por: compact remote response: status word of the last command')
      .option('--rdata <hex>', 'response, por: compact remote response: response data of the last command')
      .option('--rapdu <[data:]sw>', 'response, por, with --expanded: an R-APDU TLV (repeatable)', collect, [])
      .option('--bad-format <hex>', 'response, por, with --expanded: Bad format TLV (90) value')
      .option('--da <digits>', 'por: TP-DA of the SMS-SUBMIT (default 12345678)')
      .option('--type <type>', 'cattp-pdu: syn|synack|ack|data|eack|rst|nul (the TYPE of cattp build)')
      .option('--src-port <n>', 'cattp, cattp-pdu: source port (defaults as build cattp / cattp build)')
      .option('--dst-port <n>', 'cattp, cattp-pdu: destination port')
      .option('--seq <n>', 'cattp, cattp-pdu: sequence number (of the first data PDU)')
      .option('--ack <n>', 'cattp, cattp-pdu: acknowledgement number')
      .option('--window <n>', 'cattp, cattp-pdu: window size')
      .option('--max-pdu <n>', 'cattp: largest PDU (default 1024); cattp-pdu syn/synack: maximum PDU size')
      .option('--max-sdu <n>', 'cattp-pdu syn/synack: maximum SDU size (default 2048)')
      .option('--identification <hex>', 'cattp-pdu syn/synack: identification octets')
      .option('--iccid <digits>', 'cattp-pdu syn/synack: identification = this ICCID')
      .option('--eack <n,n,...>', 'cattp-pdu eack: sequence numbers received out of sequence')
      .option('--reason <n>', 'cattp-pdu rst: reason code (default 0)')
      .option('--rst-ack', 'cattp-pdu rst: also set ACK')
      .option('--seg', 'cattp-pdu: set SEG')
      .option('--checksum <hex>', 'cattp-pdu: checksum instead of the computed one (negative tests)'),
  ).action(async (o, cmd: Command) => (await import('./commands/vectors.js')).vectorsRecord(o, (k) => cmd.getOptionValueSource(k) === 'cli'));
}

/** The definition of send smpp and smsc (buildProgram runs only the invoked command's). */
function defineSmpp(program: Command): void {
  {
    // `send` may also be created by other transports (send pcsc): share it.
    const send = program.commands.find((c) => c.name() === 'send') ?? program.command('send').description('send a secured command to a card over a transport and collect its PoR');
    const smppConn = (c: Command): Command =>
      c
        .option('--host <addr>', 'SMSC address', '127.0.0.1')
        .requiredOption('--port <n>', 'SMSC TCP port')
        .requiredOption('--system-id <id>', 'SMPP system_id (at most 15 characters)')
        .option('--password <pw|@file>', 'SMPP password (at most 8 characters; or env UICC_OTA_SMPP_PASSWORD)')
        .option('--system-type <t>', 'SMPP system_type (default empty)');
    outputOptions(
      smppConn(
        securityOptions(
          send
            .command('smpp')
            .description('ESME: bind to an SMSC, submit the secured SMS (submit_sm per segment: UDHI, PID 7F, DCS F6), wait for the PoR in a deliver_sm, print it as parse por does'),
        ),
      )
        .requiredOption('--dest <msisdn>', 'destination_addr: the card\'s MSISDN ("+…" international)')
        .option('--dest-ton <n>', 'dest_addr_ton (default 1 with "+", else 0)')
        .option('--dest-npi <n>', 'dest_addr_npi (default 1 ISDN)')
        .option('--source <addr>', 'source_addr: the OTA server\'s address (the card sees it as TP-OA; default empty)')
        .option('--source-ton <n>', 'source_addr_ton (default 1 with "+", 5 for letters, else 0)')
        .option('--source-npi <n>', 'source_addr_npi (default 1, 0 for letters)')
        .addOption(new Option('--bind <mode>', 'bind as transceiver, or transmitter (the PoR is then read on a second connection bound as receiver)').choices(['transceiver', 'transmitter']).default('transceiver'))
        .option('--pid <hex>', 'protocol_id (TP-PID)', '7F')
        .option('--dcs <hex>', 'data_coding (TP-DCS)', 'F6')
        .option('--registered-delivery <n>', 'registered_delivery (SMPP 3.4 cl. 5.2.17)', '0')
        .option('--concat-ref <n>', 'concatenation reference of a long command (8-bit; 16-bit with --concat-16)', '0')
        .option('--concat-16', 'use the 16-bit concatenation IE (08)')
        .option('--timeout <ms>', 'bound on each SMPP step and on the wait for the PoR(s)', '10000')
        .option('--no-wait', 'return after the submit_sm_resp(s); prints the message_id(s)')
        .option('--trace', 'every SMPP PDU, both ways, as a tree on stderr')
        .option('--compact', 'read the PoR data as a compact remote response')
        .option('--each', 'campaign: each stdin line is the secured data of one command (counter +1 per line), submitted as it is read on one session; one output line per input line, in input order, as each PoR comes')
        .option('--expect-status <xx[,yy]>', 'negative tests: the PoR status(es) expected (TS 102 225 Table 5); exactly these pass (default: 00, 0B, 0C)'),
    ).action(async (o) => (await import('./commands/smpp.js')).sendSmppCommand(o));
    outputOptions(
      smppConn(
        program
          .command('smsc')
          .description('SMSC emulator (SMPP 3.4 server): each submit_sm goes to the card as ENVELOPE (SMS-PP DOWNLOAD), the card\'s PoR / SMS-SUBMIT comes back as deliver_sm; log on stderr'),
      )
        .option('--card <file>', 'the card simulator (CARD.json); its RE counters are updated in place unless --state')
        .option('--pcsc [reader]', 'a card in a PC/SC reader (as send pcsc: index, exact name or a unique part of it; default the first reader with a card)')
        .option('--reader <name|index>', 'with --pcsc: the reader (as send pcsc --reader)')
        .option('--timeout <ms>', 'with --pcsc: bound on connecting and on each APDU (default 5000)')
        .option('--terminal-profile <hex|none>', 'with --pcsc: TERMINAL PROFILE sent once at connection (default 03010002); "none" sends none')
        .option('--select-adf [aid]', 'with --pcsc: SELECT this ADF once at connection (default AID: the USIM, A0000000871002)')
        .option('--cla <cla>', 'with --pcsc: card family, 00 UICC or A0 2G SIM (default 00)')
        .option('--proactive-result <hex>', 'with --pcsc: general result of the TERMINAL RESPONSE to proactive commands other than SEND SHORT MESSAGE (default 00)')
        .option('--state <file>', 'with --card: keep the card\'s counters in this file (as card process --state)')
        .option('--dry-run', 'with --card: do not store the card\'s counters')
        .option('--quiet', 'no log'),
    ).action(async (o) => (await import('./commands/smsc.js')).smscCommand(o));
  }
}

/** The definition of completion (buildProgram runs only the invoked command's). */
function defineCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish) for commands, subcommands and options')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action(async (shell) => (await import('./completion.js')).printCompletion(program, shell));
}

/** `uicc-ota help build sms`: the help of the subcommand, however deep. */
function helpFor(program: Command, path: string[]): never {
  let c: Command = program;
  for (const name of path) {
    const next = c.commands.find((x) => x.name() === name || x.aliases().includes(name));
    if (!next) throw new InputError(`unknown command "${[...path.slice(0, path.indexOf(name)), name].join(' ')}" (see uicc-ota --help)`, { field: 'help' });
    c = next;
  }
  return c.help();
}

/** Run the CLI; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  // Only the invoked top-level command's tree, when argv names one; otherwise (root options and help,
  // help, completion, an unknown command and its suggestions) the whole tree.
  // Of its subcommands, only one named on the command line: commander dispatches to it without looking at the
  // others (but it lists them in help, and suggests among them when no subcommand is named and there is no action).
  const first = argv[2];
  const words = argv.slice(3);
  const sub = words.some((w) => w === 'help' || w === '-h' || w === '--help') ? undefined : (name: string) => words.includes(name);
  const alone = first !== undefined && !first.startsWith('-') && first !== 'help' && first !== 'completion';
  let program = alone ? buildProgram(first, sub) : buildProgram();
  if (alone) {
    const top = program.commands.find((c) => c.name() === first);
    if (!top) program = buildProgram();
    else if (sub && !(top as unknown as { _actionHandler: unknown })._actionHandler && !top.commands.some((c) => c.name() === words[0])) program = buildProgram(first);
  }
  // --crypto (every command that takes keys): the backend of every later cipher operation.
  program.hook('preAction', async (_p, action) => {
    const c = (action.opts() as { crypto?: string }).crypto;
    if (c) (await import('../crypto/backend.js')).setCryptoBackend(c as import('../crypto/backend.js').CryptoBackend);
  });
  try {
    if (argv[2] === 'help') helpFor(program, argv.slice(3));
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e);
  }
}

export function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    // help/version are not errors; commander has already printed the message.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    return e.exitCode === 0 ? 0 : EXIT.USAGE;
  }
  if (e instanceof OtaError) {
    process.stderr.write(`uicc-ota: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && err.code === 'EPIPE') return 0;
  process.stderr.write(`uicc-ota: internal error: ${err?.message ?? String(e)} (please report; set UICC_OTA_DEBUG=1 for a trace)\n`);
  if (process.env.UICC_OTA_DEBUG) process.stderr.write(String(err?.stack) + '\n');
  return 70;
}

/** Entry of a batch worker thread inside the bundle (src/cli/batch-run.ts starts it). */
export async function batchWorker(): Promise<void> {
  const { serveBatchWorker } = await import('../batch/worker-loop.js');
  const { createBatchLineFn } = await import('../api/batch.js');
  await serveBatchWorker(createBatchLineFn as (data: unknown) => Promise<import('../batch/line.js').LineFn>);
}
