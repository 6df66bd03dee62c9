export { writeParsedPcap } from '../../api/parse-pcap.js';
