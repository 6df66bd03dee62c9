/** Framing of response packets below the packet layer (SMS-PP: UD with UDH 71, SMS-SUBMIT, SMS-DELIVER-REPORT, SEND SHORT MESSAGE). */
import { InputError } from '../../util/errors.js';
import { concat } from '../../util/hex.js';
import { UDH_RESPONSE } from '../../smspp/dialect.js';

export interface PorFrameOpts {
  format: 'packet' | 'ud' | 'submit' | 'deliver-report' | 'proactive';
}

export async function framePor(packet: Uint8Array, dialect: string, o: PorFrameOpts): Promise<Uint8Array[]> {
  if (o.format === 'packet') return [packet];
  if (dialect !== 'sms-pp') throw new InputError(`format ${o.format} exists only for SMS-PP`, { field: '--format' });
  if (o.format === 'ud') return [concat(UDH_RESPONSE, packet)];
  throw new InputError(`format ${o.format} is not available yet`, { field: '--format' });
}
