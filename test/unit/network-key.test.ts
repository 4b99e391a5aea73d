import { describe, expect, it } from 'vitest';
import {
  NETWORK_KEY_MIN_LENGTH,
  NetworkKey,
  PROOF_WINDOW_MS,
  proofRefusalMessage,
} from '../../src/adapters/crypto/network-key.js';

const SECRET = 'correct horse battery staple';
const START = Date.parse('2026-12-07T03:00:00Z');

/** A key on a clock the test moves. */
function keyAt(secret = SECRET, options: { maxRemembered?: number } = {}) {
  const clock = { now: START };
  const key = new NetworkKey(secret, { now: () => clock.now, ...options });
  return { key, clock };
}

describe('NetworkKey proofs', () => {
  it('takes a proof made with the same key for the same method and target, once', () => {
    const { key: sender } = keyAt();
    const { key: receiver } = keyAt();
    const proof = sender.prove('PUT', '/nodes/bob');
    expect(receiver.verify(proof, 'PUT', '/nodes/bob')).toBeUndefined();
    expect(receiver.verify(proof, 'PUT', '/nodes/bob')).toBe('replayed');
    // A second proof of the same call is fresh.
    expect(receiver.verify(sender.prove('PUT', '/nodes/bob'), 'PUT', '/nodes/bob')).toBeUndefined();
  });

  it('never carries the key itself', () => {
    const { key } = keyAt();
    const proof = key.prove('GET', '/nodes');
    expect(proof).not.toContain(SECRET);
    expect(proof).not.toContain(Buffer.from(SECRET).toString('base64url'));
    expect(proof).toMatch(/^v1\.\d+\.[\w-]{22}\.[\w-]{43}$/);
  });

  it('refuses a proof made with another key', () => {
    const { key: stranger } = keyAt('another secret of enough length');
    const { key: receiver } = keyAt();
    expect(receiver.verify(stranger.prove('GET', '/nodes'), 'GET', '/nodes')).toBe('wrong_key');
  });

  it('refuses a proof for another path, query or method (tampered)', () => {
    const { key: sender } = keyAt();
    const { key: receiver } = keyAt();
    expect(receiver.verify(sender.prove('GET', '/nodes'), 'GET', '/nodes?include=dead')).toBe('wrong_key');
    expect(receiver.verify(sender.prove('PUT', '/nodes/bob'), 'PUT', '/nodes/eve')).toBe('wrong_key');
    expect(receiver.verify(sender.prove('GET', '/nodes/bob'), 'DELETE', '/nodes/bob')).toBe('wrong_key');
    // One character of the MAC or of the time changed.
    const proof = sender.prove('POST', '/msgs');
    const [version, time = '', nonce, mac = ''] = proof.split('.');
    const flipped = `${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    expect(receiver.verify(`${version}.${time}.${nonce}.${flipped}`, 'POST', '/msgs')).toBe('wrong_key');
    expect(receiver.verify(`${version}.${Number(time) + 1}.${nonce}.${mac}`, 'POST', '/msgs')).toBe(
      'wrong_key',
    );
  });

  it('refuses a proof more than 5 minutes from its clock, either way', () => {
    const { key: sender, clock: senderClock } = keyAt();
    const { key: receiver, clock } = keyAt();
    const old = sender.prove('GET', '/nodes');
    clock.now = START + PROOF_WINDOW_MS + 1;
    expect(receiver.verify(old, 'GET', '/nodes')).toBe('expired');
    senderClock.now = clock.now + PROOF_WINDOW_MS + 1;
    expect(receiver.verify(sender.prove('GET', '/nodes'), 'GET', '/nodes')).toBe('expired');
    // Within the window either way, it is taken.
    senderClock.now = clock.now - PROOF_WINDOW_MS + 1_000;
    expect(receiver.verify(sender.prove('GET', '/nodes'), 'GET', '/nodes')).toBeUndefined();
  });

  it('refuses a missing or malformed proof', () => {
    const { key } = keyAt();
    expect(key.verify(undefined, 'GET', '/nodes')).toBe('missing');
    expect(key.verify('', 'GET', '/nodes')).toBe('missing');
    expect(key.verify(SECRET, 'GET', '/nodes')).toBe('malformed');
    expect(key.verify('v2.1.AAAAAAAAAAAAAAAAAAAAAA.x', 'GET', '/nodes')).toBe('malformed');
  });

  it('forgets proofs past the window, and stays replay-safe when it must forget one early', () => {
    const { key: sender, clock: senderClock } = keyAt();
    const { key: receiver, clock } = keyAt(SECRET, { maxRemembered: 3 });
    const proofs = [0, 1, 2, 3].map((i) => {
      senderClock.now = START + i;
      return sender.prove('GET', '/nodes');
    });
    for (const proof of proofs) expect(receiver.verify(proof, 'GET', '/nodes')).toBeUndefined();
    expect(receiver.remembered).toBe(3);
    // The first one was forgotten to keep the bound: it is still refused, by its age.
    expect(receiver.verify(proofs[0], 'GET', '/nodes')).toBe('replayed');
    // Once every remembered proof is past the window, they are forgotten and would be refused as expired.
    clock.now = START + PROOF_WINDOW_MS + 10;
    senderClock.now = clock.now;
    expect(receiver.verify(sender.prove('GET', '/nodes'), 'GET', '/nodes')).toBeUndefined();
    expect(receiver.remembered).toBe(1);
    expect(receiver.verify(proofs[3], 'GET', '/nodes')).toBe('expired');
  });

  it('proves an answer back, bound to the call, its status and its body', () => {
    const { key: caller } = keyAt();
    const { key: member } = keyAt();
    const { key: stranger } = keyAt('another secret of enough length');
    const request = caller.prove('GET', '/nodes');
    const body = Buffer.from('[{"id":"a","url":"http://127.0.0.1:1"}]');
    const answer = member.answer(request, 200, body);
    expect(caller.checkAnswer(answer, request, 200, body)).toBe(true);
    expect(caller.checkAnswer(answer, request, 200, Buffer.from('[]'))).toBe(false);
    expect(caller.checkAnswer(answer, request, 201, body)).toBe(false);
    expect(caller.checkAnswer(answer, caller.prove('GET', '/nodes'), 200, body)).toBe(false);
    expect(caller.checkAnswer(stranger.answer(request, 200, body), request, 200, body)).toBe(false);
    expect(caller.checkAnswer(undefined, request, 200, body)).toBe(false);
    expect(caller.checkAnswer(request, request, 200, body)).toBe(false);
  });

  it('refuses a key shorter than the minimum', () => {
    expect(() => new NetworkKey('x'.repeat(NETWORK_KEY_MIN_LENGTH - 1), { now: Date.now })).toThrow(
      /16 to 1024 characters/,
    );
  });

  it('explains each refusal in a sentence that names the flag', () => {
    for (const refusal of ['missing', 'malformed', 'expired', 'wrong_key', 'replayed'] as const) {
      expect(proofRefusalMessage(refusal)).toMatch(/--network-key.*\.$/);
    }
  });
});
