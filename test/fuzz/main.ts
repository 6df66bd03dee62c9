/**
 * npm run fuzz -- [--seed N] [--count N] [--target NAME] [--save] [--list]
 * Feeds every parser (or one) with mutated inputs; exits 1 when something other
 * than a result or a one-line OtaError came out. --save keeps the minimised
 * findings under test/fuzz-corpus/<target>/.
 */
import { TARGETS, targetNamed } from './targets.js';
import { fuzzTarget, saveToCorpus } from './run.js';
import { toHex } from '../../src/util/hex.js';

function main(argv: string[]): number {
  let seed = 1;
  let count = 10000;
  let target: string | undefined;
  let save = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seed') seed = Number(val());
    else if (a === '--count') count = Number(val());
    else if (a === '--target') target = val();
    else if (a === '--save') save = true;
    else if (a === '--list') {
      for (const t of TARGETS) console.log(t.name);
      return 0;
    } else {
      console.error(`fuzz: unknown option ${a}`);
      return 2;
    }
  }
  if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 0) {
    console.error('fuzz: --seed and --count take integers');
    return 2;
  }
  const list = target ? [targetNamed(target)] : TARGETS;
  if (list[0] === undefined) {
    console.error(`fuzz: no target ${target} (targets: ${TARGETS.map((t) => t.name).join(', ')})`);
    return 2;
  }
  const per = target ? count : Math.max(1, Math.ceil(count / list.length));
  let bad = 0;
  for (const t of list) {
    const s = fuzzTarget(t!, seed, per, { minimise: true });
    console.log(`${t!.name}: ${s.inputs} inputs, ${s.findings.length} finding(s), ${Math.round(s.ms)} ms, heap max ${s.maxHeapMb} MB`);
    for (const f of s.findings) {
      bad++;
      console.log(`  ${f.signature}`);
      console.log(`    input: ${toHex((f.minimised ?? f.input).subarray(0, 200))}${(f.minimised ?? f.input).length > 200 ? '…' : ''}`);
      if (f.outcome.ok === false && f.outcome.stack) console.log(f.outcome.stack.split('\n').slice(0, 6).map((l) => '    ' + l).join('\n'));
      if (save) console.log(`    saved: ${saveToCorpus(f)}`);
    }
  }
  return bad ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
