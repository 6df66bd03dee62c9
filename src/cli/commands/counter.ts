/** `counter show|set|next`: the sending entity's counter state file (src/api/counter.ts does the work; this renders). */
import { writeOut } from '../output.js';
import * as api from '../../api/counter.js';

export async function counterShow(o: api.CounterOptions): Promise<void> {
  const r = api.counterShow(o);
  const lines = [`state file: ${r.path}${r.exists ? '' : ' (not created yet)'}`];
  const entries = Object.entries(r.counters);
  if (r.key !== undefined && !entries.length) lines.push(`${r.key}: none stored (next is 1)`);
  for (const [name, v] of entries) lines.push(`${name}: ${v} (next is ${BigInt(v) + 1n})`);
  writeOut(lines.join('\n'));
}

export async function counterSet(value: string, o: api.CounterOptions): Promise<void> {
  const r = await api.counterSet(value, o);
  writeOut(`${r.key}: ${r.counter} stored in ${r.path} (next is ${r.counter + 1n})`);
}

export async function counterNext(o: api.CounterOptions): Promise<void> {
  const r = await api.counterNext(o);
  writeOut(`${r.counter}`);
}
