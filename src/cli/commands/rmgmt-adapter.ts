export * from '../../api/script-packets.js';
