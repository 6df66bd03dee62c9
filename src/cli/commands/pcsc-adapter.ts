export { buildEnvelopes, buildEnvelopeBatch, parseDownloadPor as parsePor, type BuiltDownload, type ParsedPor } from '../../api/sms-download.js';
