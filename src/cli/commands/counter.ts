/** `counter show|set|next`: the sending entity's counter state file (logic in src/keys/counters.ts). */
import { InputError } from '../../util/errors.js';
import { writeOut } from '../output.js';
import { intOption } from '../input.js';
import { parseTar } from '../../secured/tar.js';
import { parseCounter } from '../../secured/common.js';
import { counterKey, nextCounter, setCounter, showCounters, type CounterOpts } from '../../keys/counters.js';

interface Opts extends CounterOpts {
  kvn?: string;
  tar?: string;
}

function key(o: Opts, need: boolean): string | undefined {
  if (o.kvn === undefined && o.tar === undefined && !need) return undefined;
  if (o.kvn === undefined) throw new InputError('give --kvn N (the key version of the KIc)', { field: '--kvn' });
  if (o.tar === undefined) throw new InputError('give --tar HEX (3 octets)', { field: '--tar' });
  return counterKey(intOption(o.kvn, '--kvn', 0, 15) << 4, parseTar(o.tar));
}

export async function counterShow(o: Opts): Promise<void> {
  const k = key(o, false);
  const r = showCounters(o, k);
  const lines = [`state file: ${r.path}${r.exists ? '' : ' (not created yet)'}`];
  const entries = Object.entries(r.counters);
  if (k !== undefined && !entries.length) lines.push(`${k}: none stored (next is 1)`);
  for (const [name, v] of entries) lines.push(`${name}: ${v} (next is ${BigInt(v) + 1n})`);
  writeOut(lines.join('\n'));
}

export async function counterSet(value: string, o: Opts): Promise<void> {
  const k = key(o, true)!;
  const v = parseCounter(value);
  const path = await setCounter(o, k, v);
  writeOut(`${k}: ${v} stored in ${path} (next is ${v + 1n})`);
}

export async function counterNext(o: Opts): Promise<void> {
  const k = key(o, true)!;
  const kvn = intOption(o.kvn!, '--kvn', 0, 15);
  const v = await nextCounter(o, kvn << 4, 0, parseTar(o.tar!));
  writeOut(`${v}`);
  void k;
}
