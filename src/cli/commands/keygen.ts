import { randomBytes } from 'node:crypto';
import type { Command } from '../command.js';

export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'Print a new base64 encryption key for --encrypt',
  usage: 'Usage: lbagent keygen\n\nPrints 32 random bytes, base64-encoded: an AES-256 key for --encrypt (serf keygen).',
  async run() {
    process.stdout.write(`${randomBytes(32).toString('base64')}\n`);
    return 0;
  },
};
