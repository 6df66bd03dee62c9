/** Options shared by `build por` and `vectors record` for the additional response data of a PoR. */
import { InputError } from '../util/errors.js';
import { concat, fromHex } from '../util/hex.js';
import { intOption } from '../util/options.js';

export interface ResponseDataOpts {
  data?: string;
  executed?: string;
  sw?: string;
  rdata?: string;
  expanded?: boolean;
  indefinite?: boolean;
  rapdu?: string[];
  badFormat?: string;
}

/** Additional response data as `build por` makes it: --data, an expanded response, or the compact --executed/--sw/--rdata. */
export async function responseData(o: ResponseDataOpts): Promise<Uint8Array> {
  if (o.data !== undefined) {
    if (o.executed !== undefined || o.sw !== undefined || o.rdata !== undefined) throw new InputError('give either --data or --executed/--sw/--rdata', { field: '--data' });
    return o.data === '' ? new Uint8Array(0) : fromHex(o.data, '--data');
  }
  if (o.expanded) {
    const { encodeResponse } = await import('../remote/index.js');
    const rapdus = (o.rapdu ?? []).map((r, i) => {
      const m = /^(?:([0-9A-Fa-f\s]*):)?([0-9A-Fa-f]{4})$/.exec(r.trim());
      if (!m) throw new InputError(`"${r}" is not [DATA:]SW (hex)`, { field: `--rapdu ${i + 1}` });
      const sw = fromHex(m[2], '--rapdu SW');
      return { data: m[1] ? fromHex(m[1], '--rapdu data') : new Uint8Array(0), sw: (sw[0] << 8) | sw[1] };
    });
    return encodeResponse({
      format: 'expanded',
      indefinite: !!o.indefinite,
      executed: o.executed !== undefined ? intOption(o.executed, '--executed', 0, 255) : o.indefinite ? undefined : rapdus.length,
      rapdus,
      badFormat: o.badFormat !== undefined ? fromHex(o.badFormat, '--bad-format') : undefined,
    });
  }
  if (o.rapdu?.length || o.badFormat !== undefined || o.indefinite) {
    throw new InputError('--rapdu, --bad-format and --indefinite make an expanded response: add --expanded', { field: o.rapdu?.length ? '--rapdu' : o.badFormat !== undefined ? '--bad-format' : '--indefinite' });
  }
  if (o.sw === undefined && (o.executed !== undefined || o.rdata !== undefined)) {
    throw new InputError('a compact remote response needs --sw (the status word of the last command)', { field: o.executed !== undefined ? '--executed' : '--rdata' });
  }
  if (o.sw !== undefined) {
    const sw = fromHex(o.sw, '--sw');
    if (sw.length !== 2) throw new InputError('must be 2 octets', { field: '--sw' });
    const executed = o.executed !== undefined ? intOption(o.executed, '--executed', 0, 255) : 1;
    return concat(Uint8Array.of(executed), sw, o.rdata ? fromHex(o.rdata, '--rdata') : new Uint8Array(0));
  }
  return new Uint8Array(0);
}

