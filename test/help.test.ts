/**
 * Help as a contract: every command's --help ends with 2-4 real examples
 * (src/cli/help.ts EXAMPLES), each of which parses its options, and those that
 * need no network, reader or extra file run and exit 0 in a folder holding
 * k.json (the test keyset) and CARD.json (card init); `help <cmd> <sub>`;
 * defaults shown one way; the top-level help names the manual, the environment
 * and the exit codes; completion scripts pass each shell's syntax check.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { BIN, KEYSET, run } from './helpers/cli.js';
import { buildProgram } from '../src/cli/main.js';
import { EXAMPLES, allCommands, commandPath } from '../src/cli/help.js';

/** Commands that have an action of their own (leaves, and `parse`, which also has subcommands). */
function actionCommands(program: Command): Command[] {
  return allCommands(program).filter((c) => c.commands.length === 0 || (c as unknown as { _actionHandler: unknown })._actionHandler);
}

/** Shell words of one example, split into the `uicc-ota ...` commands of its pipeline (redirections dropped). */
function invocations(example: string): string[][] {
  const words: string[] = [];
  let cur = '';
  let quote = '';
  let inWord = false;
  for (const ch of example) {
    if (quote) {
      if (ch === quote) quote = '';
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") { quote = ch; inWord = true; continue; }
    if (ch === ' ') { if (inWord) words.push(cur); cur = ''; inWord = false; continue; }
    cur += ch;
    inWord = true;
  }
  if (inWord) words.push(cur);
  const out: string[][] = [];
  let cmd: string[] | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '|' || w === '&&' || w === ';') { cmd = undefined; continue; }
    if (w === '>' || w === '<') { i++; cmd = undefined; continue; }
    if (w === 'uicc-ota' && !cmd) { cmd = []; out.push(cmd); continue; }
    if (cmd) cmd.push(w);
  }
  return out;
}

/** Examples needing a network peer, a reader, or a file the sandbox does not have: parsed, not run. */
const NOT_RUN = new Set(['cattp serve', 'cattp send', 'send pcsc', 'send smpp', 'smsc', 'scp81 serve', 'scp81 agent', 'card vpcd', 'ram load', 'scp81 parse']);

describe('help examples (src/cli/help.ts)', () => {
  const program = buildProgram();
  const paths = actionCommands(program).map(commandPath);

  it('every command with an action has 2-4 examples, and every entry names a command', () => {
    for (const p of paths) {
      const ex = EXAMPLES[p];
      assert.ok(ex, `no EXAMPLES entry for "${p}"`);
      assert.ok(ex.length >= 2 && ex.length <= 4, `"${p}" has ${ex.length} examples`);
      for (const e of ex) assert.ok(invocations(e).some((a) => a.join(' ').startsWith(p)), `example of "${p}" does not run it: ${e}`);
    }
    for (const k of Object.keys(EXAMPLES)) assert.ok(k === '' || paths.includes(k), `EXAMPLES entry "${k}" names no command`);
  });

  it('every example parses its options (commander, with the actions replaced)', async () => {
    for (const p of Object.keys(EXAMPLES)) {
      for (const e of EXAMPLES[p]) {
        for (const args of invocations(e)) {
          const prog = buildProgram();
          let ran = '';
          for (const c of allCommands(prog)) c.action(() => { ran = commandPath(c); });
          prog.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
          await assert.doesNotReject(prog.parseAsync(['node', 'uicc-ota', ...args]), `${e}`);
          assert.notEqual(ran, '', `no command ran for: ${e}`);
        }
      }
    }
  });

  it('the examples that need no peer run and exit 0 in a folder with k.json and CARD.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-examples-'));
    copyFileSync(KEYSET, join(dir, 'k.json'));
    const shim = join(dir, 'bin');
    spawnSync('mkdir', [shim]);
    writeFileSync(join(shim, 'uicc-ota'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(shim, 'uicc-ota'), 0o755);
    assert.equal(run(['card', 'init', '--out', join(dir, 'CARD.json')]).code, 0);
    const failed: string[] = [];
    for (const [p, list] of Object.entries(EXAMPLES)) {
      if (NOT_RUN.has(p)) continue;
      // A fresh copy per command: the examples of one command run in order on the same state.
      const cwd = mkdtempSync(join(tmpdir(), 'uicc-ota-example-'));
      copyFileSync(join(dir, 'k.json'), join(cwd, 'k.json'));
      copyFileSync(join(dir, 'CARD.json'), join(cwd, 'CARD.json'));
      for (const e of list) {
        const r = spawnSync('bash', ['-o', 'pipefail', '-c', e], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', PATH: `${shim}:${process.env.PATH}` } });
        if (r.status !== 0) failed.push(`${e}\n    exit ${r.status}: ${r.stderr.trim().split('\n')[0]}`);
      }
    }
    assert.deepEqual(failed, []);
  });
});

describe('help', () => {
  it('uicc-ota help <cmd> <sub> prints the help of the subcommand', () => {
    const a = run(['help', 'build', 'sms']);
    assert.equal(a.code, 0);
    assert.equal(a.stdout, run(['build', 'sms', '--help']).stdout);
    assert.match(a.stdout, /^Usage: uicc-ota build sms/);
    assert.match(a.stdout, /\nExamples:\n {2}\$ uicc-ota build sms /);
    const bad = run(['help', 'build', 'nope']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'uicc-ota: help: unknown command "build nope" (see uicc-ota --help)\n');
  });

  it('the top-level help names the manual, the environment variables and the exit codes', () => {
    const h = run(['--help']).stdout;
    assert.match(h, /man uicc-ota/);
    for (const v of ['UICC_OTA_KEYSET', 'UICC_OTA_KIC', 'UICC_OTA_KID', 'UICC_OTA_STATE', 'NO_COLOR']) assert.match(h, new RegExp(v));
    assert.match(h, /Exit status:\n {2}0 /);
    for (const code of ['1', '2', '3', '4', '70']) assert.match(h, new RegExp(`\\n {2}${code} +\\S`));
  });

  it('a top-level command built alone (start-up: main builds only the invoked one) is the same tree as in the whole program', () => {
    // Everything commander shows or checks, for every command under it: help text, options and their settings, arguments.
    // (Functions, e.g. an option's argument parser, are made afresh by each build: compared by their source.)
    const plain = (o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'function' ? String(v) : v]));
    const shape = (c: Command): unknown => ({
      path: commandPath(c),
      help: c.helpInformation(),
      aliases: c.aliases(),
      options: c.options.map(plain),
      args: c.registeredArguments.map(plain),
      subs: c.commands.map(shape),
    });
    const whole = buildProgram();
    for (const top of whole.commands.filter((c) => c.name() !== 'help')) {
      const alone = buildProgram(top.name());
      assert.deepEqual(alone.commands.map((c) => c.name()), [top.name(), 'help'].filter((n) => alone.commands.some((c) => c.name() === n)), top.name());
      assert.deepEqual(shape(alone.commands[0]), shape(top), top.name());
      // And with one subcommand of it (main: the one named on the command line).
      for (const sub of top.commands.filter((c) => c.name() !== 'help')) {
        const one = buildProgram(top.name(), (n) => n === sub.name()).commands[0];
        assert.deepEqual(one.commands.filter((c) => c.name() !== 'help').map((c) => c.name()), [sub.name()], commandPath(sub));
        assert.deepEqual(shape(one.commands[0]), shape(sub), commandPath(sub));
      }
    }
    // And as a user runs it: `X --help` (only X built) prints what `help X` (the whole tree) prints, and the same for errors.
    for (const argv of [['spi', 'decode'], ['build', 'sms'], ['parse'], ['parse', 'sms'], ['send', 'smpp'], ['scp81'], ['vectors', 'record']]) {
      const alone = run([...argv, '--help']);
      assert.equal(alone.code, 0, argv.join(' '));
      assert.equal(alone.stdout, run(['help', ...argv]).stdout, argv.join(' '));
    }
    assert.deepEqual(run(['spi', 'decod']), { code: 2, stdout: '', stderr: "uicc-ota: unknown command 'decod'\n(Did you mean decode?) (see --help)\n" });
    assert.equal(run(['nope']).code, 2);
    assert.equal(run(['build', 'sms', '--keyset-x']).stderr, "uicc-ota: unknown option '--keyset-x'\n(Did you mean --keyset?) (see --help)\n");
  });

  it('defaults are shown one way: "(default X)", never "(default: [])" or commander\'s quoted form', () => {
    const program = buildProgram();
    for (const c of allCommands(program)) {
      const h = c.helpInformation();
      assert.doesNotMatch(h, /\(default: \[\]\)/, commandPath(c));
      assert.doesNotMatch(h, /default: "/, commandPath(c));
    }
  });
});

describe('completion', () => {
  for (const [shell, check] of [['bash', ['bash', '-n']], ['zsh', ['zsh', '-n']], ['fish', ['fish', '-n']]] as const) {
    it(`${shell}: the script passes ${check.join(' ')}`, () => {
      const r = run(['completion', shell]);
      assert.equal(r.code, 0, r.stderr);
      const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-completion-'));
      const f = join(dir, `script.${shell}`);
      writeFileSync(f, r.stdout);
      const c = spawnSync(check[0], [...check.slice(1), f], { encoding: 'utf8' });
      assert.equal(c.status, 0, c.stderr);
    });
  }

  it('bash: completes subcommands, options and option choices', () => {
    const script = run(['completion', 'bash']).stdout;
    const empty = mkdtempSync(join(tmpdir(), 'uicc-ota-completion-'));
    const ask = (words: string[]) => {
      const line = words.map((w) => `'${w}'`).join(' ');
      const r = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _uicc_ota; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8', cwd: empty });
      return r.stdout.trim().split('\n');
    };
    assert.deepEqual(ask(['uicc-ota', 'build', 's']), ['sms']);
    assert.ok(ask(['uicc-ota', 'build', 'sms', '--ke']).includes('--keyset'));
    assert.deepEqual(ask(['uicc-ota', 'spi', 'encode', '--por', '']), ['none', 'required', 'on-error']);
    assert.ok(ask(['uicc-ota', '']).includes('completion'));
  });

  it('an unknown shell is a usage error (exit 2)', () => {
    const r = run(['completion', 'tcsh']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^uicc-ota: .*tcsh/);
  });
});
