/** `build sms`: secure a command packet and emit it at the requested SMS-PP layer. */
import { InputError } from '../../util/errors.js';
import { concat, toHex } from '../../util/hex.js';
import { buildCommand, type SecuredCommand } from '../../secured/command.js';
import { commandJson, commandTree } from '../../secured/view.js';
import { smsDialect, SINGLE_SMS_MAX_PACKET, UDH_COMMAND } from '../../smspp/dialect.js';
import { printJson, printTree, writeOut, type OutputOptions } from '../output.js';
import { prepareCommand, type SecurityOpts } from './secured-options.js';
import { scriptView } from './views.js';

export interface BuildSmsOpts extends SecurityOpts, OutputOptions {
  format: 'packet' | 'ud' | 'tpdu' | 'envelope';
  oa: string;
  oaTon: string;
  oaNpi: string;
  pid: string;
  dcs: string;
  scts?: string;
  smsc?: string;
  concatRef: string;
  concat16?: boolean;
  pcap?: string;
  show?: boolean;
}

export async function buildSms(o: BuildSmsOpts): Promise<void> {
  const { input, keys } = await prepareCommand(o);
  const cmd = buildCommand(smsDialect, input, keys);
  const lines = await frameSms(cmd, o);
  if (o.json) {
    const script = scriptView(cmd.data!, o.expanded ? 'expanded' : 'compact');
    printJson({ ...commandJson(cmd, script.apdus ?? undefined), format: o.format, output: lines.map(toHex) });
    return;
  }
  if (o.show) {
    const script = scriptView(cmd.data!, o.expanded ? 'expanded' : 'compact');
    await printTree([commandTree(cmd, script.tree ? [script.tree] : undefined)], o);
    return;
  }
  writeOut(lines.map(toHex).join('\n'));
}

/** The SMS-PP layers below the packet: UD with UDH, SMS-DELIVER TPDU, ENVELOPE; split when too long for one SMS. */
export async function frameSms(cmd: SecuredCommand, o: BuildSmsOpts): Promise<Uint8Array[]> {
  if (o.format === 'packet') {
    return [cmd.bytes];
  }
  if (cmd.bytes.length <= SINGLE_SMS_MAX_PACKET && o.format === 'ud') return [concat(UDH_COMMAND, cmd.bytes)];
  throw new InputError(`format ${o.format} for this packet needs the SMS framing layer`, { field: '--format' });
}
