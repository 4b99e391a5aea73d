import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as signBytes,
  verify as verifyBytes,
} from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeSigner } from '../../application/ports/node-signer.js';
import type { SignatureVerifier } from '../../application/ports/signature-verifier.js';
import { makeDirs } from '../storage/make-dirs.js';

/** The file in a data dir that holds the node's private key (PKCS#8 PEM, mode 0600). */
export const NODE_KEY_FILE = 'node-key.pem';

/** A data dir whose key file cannot be used; never overwritten, since it is the node's identity. */
export class NodeKeyUnusable extends Error {
  override name = 'NodeKeyUnusable';
  readonly code = 'node_key_unusable';
}

/** Signs with an Ed25519 private key held in memory. */
export class Ed25519NodeSigner implements NodeSigner {
  readonly publicKey: string;

  constructor(private readonly privateKey: KeyObject) {
    this.publicKey = rawPublicKey(createPublicKey(privateKey));
  }

  /** A fresh key for a node that keeps nothing (an in-memory node). */
  static generate(): Ed25519NodeSigner {
    return new Ed25519NodeSigner(generateKeyPairSync('ed25519').privateKey);
  }

  /** The key kept in `dataDir`, created (mode 0600) on first start. */
  static stored(dataDir: string): Ed25519NodeSigner {
    const file = join(dataDir, NODE_KEY_FILE);
    if (!existsSync(file)) {
      const { privateKey } = generateKeyPairSync('ed25519');
      makeDirs(dataDir);
      // `wx` so that a key written meanwhile by another start is never replaced.
      try {
        writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(file, error);
      }
    }
    try {
      chmodSync(file, 0o600);
      const key = createPrivateKey(readFileSync(file));
      if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
      return new Ed25519NodeSigner(key);
    } catch (error) {
      throw unusable(file, error);
    }
  }

  sign(payload: string): string {
    return signBytes(null, Buffer.from(payload, 'utf8'), this.privateKey).toString('base64url');
  }
}

/** How many parsed public keys a verifier keeps: about one per node of the network. */
const KEY_CACHE_SIZE = 512;

/**
 * Verifies Ed25519 signatures by raw base64url public keys. Every message of a keyed node is verified, so the
 * parsed keys are kept (the most recently added `KEY_CACHE_SIZE`): parsing one costs about as much as a verify.
 */
export class Ed25519SignatureVerifier implements SignatureVerifier {
  readonly #keys = new Map<string, KeyObject>();

  verify(publicKey: string, payload: string, signature: string): boolean {
    try {
      const sig = Buffer.from(signature, 'base64url');
      const key = this.#key(publicKey);
      if (key === undefined || sig.length !== 64) return false;
      return verifyBytes(null, Buffer.from(payload, 'utf8'), key, sig);
    } catch {
      return false;
    }
  }

  #key(publicKey: string): KeyObject | undefined {
    const known = this.#keys.get(publicKey);
    if (known) return known;
    const raw = Buffer.from(publicKey, 'base64url');
    if (raw.length !== 32) return undefined;
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
    if (this.#keys.size >= KEY_CACHE_SIZE) this.#keys.delete(this.#keys.keys().next().value as string);
    this.#keys.set(publicKey, key);
    return key;
  }
}

function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('an Ed25519 public key has an x coordinate');
  return jwk.x;
}

function unusable(file: string, error: unknown): NodeKeyUnusable {
  return new NodeKeyUnusable(
    `cannot use the node key in ${file}: ${String((error as Error).message).replace(/\s+/g, ' ')}`,
  );
}
