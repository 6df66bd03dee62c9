/**
 * Help text beyond commander's: the examples every command's --help ends with,
 * the top-level epilogue (manual, environment, exit codes) and one way of
 * showing defaults.
 *
 * EXAMPLES is keyed by the command path without "uicc-ota" ("build sms").
 * Every leaf command needs 2-4 entries (test/help.test.ts checks that each
 * parses its options, and runs the ones that need no network or reader in a
 * folder holding k.json, the test keyset, and CARD.json from `card init`).
 * Helpers adding a command add its examples here.
 */
import type { Command, Help } from 'commander';

export const EXAMPLES: Record<string, string[]> = {
  // --- header codes
  'spi decode': ['uicc-ota spi decode 1621', 'uicc-ota spi decode 1621 --json'],
  'spi encode': ['uicc-ota spi encode --cc --cipher --counter higher --por required --por-cc', 'uicc-ota spi encode --rc --por on-error --json'],
  'kic decode': ['uicc-ota kic decode 15', 'uicc-ota kic decode 22 --json'],
  'kic encode': ['uicc-ota kic encode --alg 3des-2key-cbc --kvn 1', 'uicc-ota kic encode --alg aes-cbc --kvn 2 --json'],
  'kid decode': ['uicc-ota kid decode 15', 'uicc-ota kid decode 11 --rc'],
  'kid encode': ['uicc-ota kid encode --alg aes-cmac --kvn 2', 'uicc-ota kid encode --alg crc32 --kvn 1 --json'],
  tar: ['uicc-ota tar B00010', 'uicc-ota tar', 'uicc-ota tar 000000 --json'],
  status: ['uicc-ota status 02', 'uicc-ota status', 'uicc-ota status 0A --json'],
  // --- build
  'build sms': [
    'uicc-ota build sms --keyset k.json --apdu A0A40000027F20',
    'uicc-ota build sms --keyset k.json --spi 1609 --counter next --apdu A0A40000027F20 --format envelope',
    'uicc-ota build sms --keyset k.json --kvn 2 --apdu 00B0000010 --show',
    'printf "A0A40000027F20\\nA0C0000016\\n" | uicc-ota build sms --keyset k.json --each',
  ],
  'build por': [
    'uicc-ota build por --spi 0000 --tar B00010 --status 02',
    'uicc-ota build por --request 00201516091515B00010E9D4FFBC54726F6D0B2903716BC95AAD240AE3CBF606BCA3 --keyset k.json --sw 9000',
    'uicc-ota build por --spi 0000 --tar B00010 --format submit --show',
  ],
  'build cattp': [
    'uicc-ota build cattp --keyset k.json --apdu A0A40000027F20',
    'uicc-ota build cattp --keyset k.json --apdu A0A40000027F20 --format packet',
    'uicc-ota build cattp --keyset k.json --apdu A0A40000027F20 --pcap cattp.pcap',
  ],
  'build push': [
    'uicc-ota build push --keyset k.json --connect 10.0.0.1:443 --psk-identity card1',
    'uicc-ota build push --keyset k.json --connect 10.0.0.1:443 --psk-identity card1 --admin-uri /server --format envelope',
  ],
  // --- parse
  parse: [
    'uicc-ota parse 00201516091515B00010E9D4FFBC54726F6D0B2903716BC95AAD240AE3CBF606BCA3 --keyset k.json',
    'uicc-ota parse 027100000B0AB0001000000000000002 --expect-status 02 --json',
    'uicc-ota build sms --keyset k.json --apdu A0A40000027F20 | uicc-ota parse - --keyset k.json --require-verified',
    'uicc-ota build sms --keyset k.json --apdu A0A40000027F20 --pcap sms.pcap && uicc-ota parse --read sms.pcap --keyset k.json',
  ],
  'parse sms': [
    'uicc-ota parse sms 00201516091515B00010E9D4FFBC54726F6D0B2903716BC95AAD240AE3CBF606BCA3 --keyset k.json',
    'uicc-ota parse sms 00201516091515B00010E9D4FFBC54726F6D0B2903716BC95AAD240AE3CBF606BCA3 --keyset k.json --kvn 1 --json',
  ],
  'parse por': [
    'uicc-ota parse por 000B0AB0001000000000000000',
    'uicc-ota parse por 000B0AB0001000000000000002 --expect-status 02',
    'uicc-ota parse por 001612B000100000000005000070301E27C5F6B3F2019000 --request 00201516091515B00010E9D4FFBC54726F6D0B2903716BC95AAD240AE3CBF606BCA3 --keyset k.json --require-verified',
  ],
  // --- counter state
  'counter show': ['uicc-ota counter show --keyset k.json', 'uicc-ota counter show --keyset k.json --kvn 1 --tar B00010'],
  'counter set': ['uicc-ota counter set 100 --keyset k.json --kvn 1 --tar B00010', 'uicc-ota counter set 0 --state counters.json --kvn 2 --tar B00011'],
  'counter next': ['uicc-ota counter next --keyset k.json --kvn 1 --tar B00010', 'uicc-ota counter next --state counters.json --kvn 1 --tar B00010'],
  // --- remote management
  'rfm read': [
    'uicc-ota rfm read --keyset k.json --path 3F00/2FE2',
    'uicc-ota rfm read --keyset k.json --family sim --path 3F00/7F20/6F07 --counter next --card CARD.json',
    'uicc-ota rfm read --keyset k.json --path 3F00/2FE2 --dry-run',
  ],
  'rfm update': [
    'uicc-ota rfm update --keyset k.json --family sim --path 3F00/7F20/6F07 --data 084906 --dry-run',
    'uicc-ota rfm update --keyset k.json --path 3F00/2FE2 --data 98940000000000000010 --format envelope',
  ],
  'rfm select': ['uicc-ota rfm select --keyset k.json --path 3F00/2FE2', 'uicc-ota rfm select --keyset k.json --family sim --path 3F00/7F20 --show'],
  'ram load': [
    'uicc-ota ram load --keyset k.json --cap applet.cap --dry-run',
    'uicc-ota ram load --keyset k.json --cap applet.cap --install --bearer cattp',
    'uicc-ota ram load --keyset k.json --cap applet.cap --install --counter next --bearer cattp --send cattp --port 4000',
  ],
  'ram install': [
    'uicc-ota ram install --keyset k.json --package-aid A0000000871002 --applet-aid A000000087100201 --dry-run',
    'uicc-ota ram install --keyset k.json --package-aid A0000000871002 --applet-aid A000000087100201 --privileges 00',
  ],
  'ram delete': ['uicc-ota ram delete --keyset k.json --aid A000000087100201 --dry-run', 'uicc-ota ram delete --keyset k.json --aid A0000000871002 --related'],
  'ram status': ['uicc-ota ram status --keyset k.json --dry-run', 'uicc-ota ram status --keyset k.json --subset isd --counter next --card CARD.json'],
  'ram put-key': [
    'uicc-ota ram put-key --keyset k.json --new-kvn 3 --new-kic 00112233445566778899AABBCCDDEEFF --new-kid 00112233445566778899AABBCCDDEEF0 --dry-run',
    'uicc-ota ram put-key --keyset k.json --new-kvn 3 --new-alg aes --new-kic 000102030405060708090A0B0C0D0E0F',
  ],
  // --- card simulator
  'card init': ['uicc-ota card init --out my-card.json', 'uicc-ota card init --out - | head'],
  'card process': [
    'uicc-ota card process --card CARD.json 00201516091515B00010E9D4FFBC54726F6D0B2903716BC95AAD240AE3CBF606BCA3',
    'uicc-ota card process --card CARD.json --expect-status 02 --json 00201516091515B00010E9D4FFBC54726F6D0B2903716BC95AAD240AE3CBF606BCA3',
    'uicc-ota build sms --keyset k.json --spi 1609 --counter 6 --apdu A0A40000027F20 | uicc-ota card process --card CARD.json --dry-run --show',
  ],
  'card vpcd': ['uicc-ota card vpcd --card CARD.json', 'uicc-ota card vpcd --card CARD.json --port 35964 --trace'],
  // --- CAT_TP
  'cattp build': ['uicc-ota cattp build syn --iccid 8949000000000000001', 'uicc-ota cattp build ack --seq 1 --ack 5 --show', 'uicc-ota cattp build rst --reason 3 --json'],
  'cattp serve': [
    'uicc-ota cattp serve --port 4000 --keyset k.json --apdu A0A40000027F20 --max-sessions 1',
    'uicc-ota cattp serve --port 0 --respond 9000 --brief',
  ],
  'cattp send': ['uicc-ota cattp send --to 127.0.0.1:4000 --card CARD.json', 'uicc-ota cattp send --to 127.0.0.1:4000 --sdu 0102 --no-wait'],
  // --- transports
  'send pcsc': [
    'uicc-ota send pcsc --list',
    'uicc-ota send pcsc --keyset k.json --counter next --apdu A0A40000027F20',
    'uicc-ota send pcsc --reader 0 --keyset k.json --counter next --apdu A0A40000027F20 --expect-status 00 --json',
  ],
  'send smpp': [
    'uicc-ota send smpp --port 2775 --system-id ota --dest +491701234567 --keyset k.json --counter next --apdu A0A40000027F20',
    'uicc-ota send smpp --port 2775 --system-id ota --dest +491701234567 --keyset k.json --counter next --apdu A0A40000027F20 --no-wait',
  ],
  smsc: ['uicc-ota smsc --port 2775 --system-id ota --card CARD.json', 'uicc-ota smsc --port 2775 --system-id ota --card CARD.json --dry-run --quiet'],
  // --- SCP81
  'scp81 parse-push': ['uicc-ota scp81 parse-push 8100', 'uicc-ota scp81 parse-push 8100 --json'],
  'scp81 parse': ['uicc-ota scp81 parse exchange.http', 'uicc-ota scp81 parse --hex exchange.hex --json'],
  'scp81 serve': [
    'uicc-ota scp81 serve --port 8443 --psk card1:000102030405060708090A0B0C0D0E0F --apdu 80F21000024F00',
    'uicc-ota scp81 serve --port 0 --keyset k.json --scripts scripts.json --max-sessions 1',
  ],
  'scp81 agent': [
    'uicc-ota scp81 agent --to 127.0.0.1:8443 --psk-identity card1 --psk-key 000102030405060708090A0B0C0D0E0F',
    'uicc-ota scp81 agent --to 127.0.0.1:8443 --psk-identity card1 --psk-key 000102030405060708090A0B0C0D0E0F --card CARD.json',
  ],
  // --- golden vectors
  'vectors verify': ['uicc-ota vectors verify', 'uicc-ota vectors verify --filter cc --json'],
  'vectors record': [
    'uicc-ota vectors record --out my-vectors.json --keyset k.json --apdu A0A40000027F20 --provenance "card X answered it"',
    'uicc-ota vectors record --out my-vectors.json --kind por --format ud --spi 0000 --kic 00 --kid 00 --tar B00010 --status 02 --id por-cntr-low --provenance "card X answered a replay"',
  ],
  // --- shell completion
  completion: ['uicc-ota completion bash > uicc-ota.bash && source uicc-ota.bash', 'uicc-ota completion zsh > _uicc-ota', 'uicc-ota completion fish > uicc-ota.fish'],
};

/** "build sms" for a command (path under the program, without its name). */
export function commandPath(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x && x.parent; x = x.parent) names.unshift(x.name());
  return names.join(' ');
}

/** Every command under `program`, depth first (the program itself not included). */
export function allCommands(program: Command): Command[] {
  const out: Command[] = [];
  const walk = (c: Command) => {
    for (const s of c.commands) {
      if (s.name() === 'help') continue;
      out.push(s);
      walk(s);
    }
  };
  walk(program);
  return out;
}

/** Examples of a command: its own, or (a group without its own) the first of each subcommand, at most 4. */
export function examplesOf(c: Command): string[] {
  const own = EXAMPLES[commandPath(c)];
  if (own) return own;
  return c.commands.map((s) => examplesOf(s)[0]).filter((x): x is string => x !== undefined).slice(0, 4);
}

export const EPILOGUE = `
Manual: man uicc-ota (every command, option, JSON key and file format; JSON
Schemas of every --json output in the package's schema/ folder).
Help on one command: uicc-ota help <command> [<subcommand>], or uicc-ota <command> <subcommand> --help.
Shell completion: uicc-ota completion bash|zsh|fish.

Environment:
  UICC_OTA_KEYSET  keyset file when --keyset is not given
  UICC_OTA_KIC     ciphering key (hex) when --kic-key is not given
  UICC_OTA_KID     integrity key (hex) when --kid-key is not given
  UICC_OTA_STATE   counter state file for --counter next (default beside the keyset)
  UICC_OTA_PSK     SCP81 pre-shared key when --psk-key is not given
  UICC_OTA_SMPP_PASSWORD  SMPP password when --password is not given
  XDG_STATE_HOME   folder of counter state files when the keyset folder is read-only
  NO_COLOR         no colours in trees (also --no-color)
  UICC_OTA_DEBUG   print a stack trace after an internal error

Exit status:
  0   success (every check that could be made passed; PoR status 00)
  1   a check failed (RC/CC/checksum, wrong key), the card refused (PoR status not
      00/0B/0C, or not one of --expect-status), or --require-verified could not verify
  2   bad input or usage (one line on stderr naming the field and byte offset)
  3   file or state error (also: standard output cannot be written, e.g. a full disk)
  4   network or session error
  70  internal error (please report)`;

/**
 * Wire the help text into every command: examples at the end of each --help,
 * the epilogue on the top-level help, and defaults shown one way: commander's
 * "(default: ...)" is dropped where the description already says its default
 * and empty defaults ([] for repeatable options) are not shown.
 */
export function installHelp(program: Command): void {
  program.addHelpText('after', () => {
    const lines = ['', 'Examples:', ...examplesOf(program).map((e) => `  $ ${e}`), EPILOGUE];
    return lines.join('\n');
  });
  for (const c of allCommands(program)) {
    c.addHelpText('after', () => {
      const ex = examplesOf(c);
      return ex.length ? ['', 'Examples:', ...ex.map((e) => `  $ ${e}`)].join('\n') : '';
    });
  }
  const config: Partial<Help> = {
    sortSubcommands: false,
    optionDescription(o) {
      const extra: string[] = [];
      if (o.argChoices && !/\|/.test(o.description)) extra.push(`choices: ${o.argChoices.join(', ')}`);
      const d = o.defaultValue;
      const shown = d !== undefined && !(Array.isArray(d) && !d.length) && d !== false && !/\(default[ :]/.test(o.description);
      if (shown) extra.push(`default ${typeof d === 'string' ? d : JSON.stringify(d)}`);
      if (o.envVar) extra.push(`env ${o.envVar}`);
      return extra.length ? `${o.description} (${extra.join('; ')})` : o.description;
    },
    argumentDescription(a) {
      const d = a.defaultValue;
      const shown = d !== undefined && !(Array.isArray(d) && !d.length);
      return shown ? `${a.description} (default ${JSON.stringify(d)})` : a.description;
    },
  };
  // commander copies the help configuration when a command is created: set it on each.
  for (const c of [program, ...allCommands(program)]) c.configureHelp(config);
}
