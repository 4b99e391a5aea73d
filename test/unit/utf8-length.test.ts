import { describe, expect, it } from 'vitest';
import { utf8Length } from '../../src/domain/message.js';

describe('utf8Length', () => {
  it('agrees with the UTF-8 encoder on ASCII, 2-, 3- and 4-byte characters and lone surrogates', () => {
    const samples = ['', 'hello', 'héllo', '€uro', 'a😀b', '\ud800', 'x\udc00y', '\ud800\ud800', '😀\ud83d'];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 500; n++) {
      const units = Array.from({ length: Math.floor(random() * 20) }, () => {
        const kind = random();
        return kind < 0.4 ? 0x20 + Math.floor(random() * 0x5f) : Math.floor(random() * 0x10000);
      });
      samples.push(String.fromCharCode(...units));
    }
    for (const text of samples) expect(utf8Length(text)).toBe(new TextEncoder().encode(text).byteLength);
  });
});
