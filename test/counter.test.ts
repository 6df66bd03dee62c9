/**
 * `uicc-ota counter show|set|next` and where the counter state of a keyset lives: beside the
 * keyset when its folder is writable, else under $XDG_STATE_HOME/uicc-ota/. Expected values are
 * counting facts (set 41 → next 42), not outputs of our own encoder.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, KEYSET, ROOT, run } from './helpers/cli.js';

/**
 * The CLI (bin/ and the bundle it loads) copied into a folder everyone may read: the checkout
 * may lie in a folder only root can enter (mktemp -d), where nobody could not start it.
 */
function cliCopyForAll(): string {
  const top = mkdtempSync(join(tmpdir(), 'uicc-ota-cli-'));
  chmodSync(top, 0o755);
  cpSync(join(ROOT, 'bin'), join(top, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'dist', 'bundle'), join(top, 'dist', 'bundle'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(top, 'package.json'));
  spawnSync('chmod', ['-R', 'a+rX', top]);
  return join(top, 'bin', 'uicc-ota.js');
}

describe('counter state', () => {
  it('show / set / next agree with build --counter next, in <keyset>.counters.json beside the keyset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-counter-'));
    const ks = join(dir, 'k.json');
    copyFileSync(KEYSET, ks);
    const sel = ['--keyset', ks, '--kvn', '1', '--tar', 'B00010'];
    const s0 = run(['counter', 'show', '--keyset', ks]);
    assert.equal(s0.code, 0, s0.stderr);
    assert.match(s0.stdout, new RegExp(`^state file: ${ks.replace(/[.]/g, '\\.')}\\.counters\\.json \\(not created yet\\)`));
    assert.equal(run(['counter', 'next', ...sel]).stdout.trim(), '1');
    const set = run(['counter', 'set', '41', ...sel]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /kvn1\/B00010: 41 stored in .*k\.json\.counters\.json \(next is 42\)/);
    // build --counter next takes 42: CNTR octets 00 00 00 00 2A at offset 10 of the packet (CPL CHL SPI KIc KID TAR CNTR)
    const b = run(['build', 'sms', '--keyset', ks, '--spi', '0201', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', 'next', '--apdu', '00A40004023F00', '--format', 'packet']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout.trim().slice(20, 30), '000000002A');
    assert.match(run(['counter', 'show', ...sel]).stdout, /kvn1\/B00010: 42 \(next is 43\)/);
  });

  it('a keyset in a read-only folder keeps its counters under $XDG_STATE_HOME/uicc-ota/', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-ro-'));
    const ks = join(dir, 'k.json');
    copyFileSync(KEYSET, ks);
    chmodSync(ks, 0o644);
    chmodSync(dir, 0o555);
    const xdg = mkdtempSync(join(tmpdir(), 'uicc-ota-xdg-'));
    chmodSync(xdg, 0o777);
    // root may write anywhere: run as nobody (setpriv, util-linux) so the folder really is read-only
    const asRoot = process.getuid?.() === 0;
    const asUser = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const bin = asRoot ? cliCopyForAll() : BIN;
    const cli = (args: string[]) => {
      const cmd = [...asUser, 'env', `XDG_STATE_HOME=${xdg}`, 'NO_COLOR=1', process.execPath, bin, ...args];
      return spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
    };
    const n = cli(['counter', 'next', '--keyset', ks, '--kvn', '1', '--tar', 'B00010']);
    assert.equal(n.status, 0, n.stderr);
    assert.equal(n.stdout.trim(), '1');
    assert.ok(!existsSync(`${ks}.counters.json`));
    assert.equal(readdirSync(join(xdg, 'uicc-ota')).length, 1);
    const s = cli(['counter', 'show', '--keyset', ks]);
    assert.match(s.stdout, new RegExp(`^state file: ${join(xdg, 'uicc-ota').replace(/[.]/g, '\\.')}/.*k\\.json\\.counters\\.json`));
    assert.match(s.stdout, /kvn1\/B00010: 1 \(next is 2\)/);
  });

  it('a state file that cannot be written names the file and the way out, exit 3', () => {
    const r = run(['counter', 'next', '--state', '/proc/uicc-ota-nonexistent/state.json', '--kvn', '1', '--tar', 'B00010']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /\/proc\/uicc-ota-nonexistent\/state\.json/);
    assert.match(r.stderr, /--state FILE or UICC_OTA_STATE/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
