/** The engine of the selected backend (see backend.ts). */
import { getCryptoBackend, type BlockEngine } from './backend.js';
import { forgeEngine } from './forge.js';
import { nativeEngine } from './native.js';

export function engine(): BlockEngine {
  return getCryptoBackend() === 'forge' ? forgeEngine : nativeEngine;
}
