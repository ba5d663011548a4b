/**
 * Keyed hashing of user identifiers (HMAC-SHA256), so an identifier used as an attribute is exported
 * as a stable pseudonym, never raw. The key comes from the `hashKey` option, else the
 * `LLM_VITALS_HASH_KEY` environment variable, else a random key made when the monitor is created
 * (pseudonyms then hold within one process only: set a key to join them across processes and restarts).
 *
 * Without the key a pseudonym cannot be reversed or recomputed from a guessed identifier, which a
 * plain hash of an e-mail address or a numeric id would allow.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** The environment variable the key is read from when the `hashKey` option is not given. */
export const HASH_KEY_ENV = 'LLM_VITALS_HASH_KEY';

/** Every pseudonym starts with this, so a value already hashed is never hashed again. */
export const HASHED_PREFIX = 'hmac:';

/**
 * The attribute names treated as user identifiers by default: the conventions' `user.id`, `enduser.id`
 * and `enduser.pseudo.id`, and the common `user_id` / `userId`. Others (a bare `user`, `email`,
 * `account`) are hashed once named in the `hashAttributes` option.
 */
export const USER_ID_ATTRIBUTES: readonly string[] = ['user.id', 'enduser.id', 'enduser.pseudo.id', 'user_id', 'userId'];

/** Past this many distinct identifiers the memo of pseudonyms starts over (memory stays bounded). */
const MAX_MEMO = 4096;

export class IdentifierHasher {
  private readonly key: Buffer;
  private readonly attributes: ReadonlySet<string>;
  private readonly memo = new Map<string, string>();
  /** One hashed copy per context object: the calls of one request share their (frozen) context. */
  private readonly contexts = new WeakMap<object, Record<string, string>>();

  constructor(key: string | undefined, attributes: readonly string[] = USER_ID_ATTRIBUTES) {
    const given = key ?? process.env[HASH_KEY_ENV];
    this.key = given !== undefined && given !== '' ? Buffer.from(given, 'utf8') : randomBytes(32);
    this.attributes = new Set(attributes);
  }

  /** The pseudonym of one identifier: `hmac:` and the first 128 bits of HMAC-SHA256, in hex. */
  hash(value: string): string {
    if (value.startsWith(HASHED_PREFIX)) return value;
    let out = this.memo.get(value);
    if (out === undefined) {
      out = HASHED_PREFIX + createHmac('sha256', this.key).update(value, 'utf8').digest('hex').slice(0, 32);
      if (this.memo.size >= MAX_MEMO) this.memo.clear();
      this.memo.set(value, out);
    }
    return out;
  }

  /**
   * The context with its user identifiers hashed: the same object when it has none to hash, else a
   * copy (the original may be frozen and shared by other calls).
   */
  context(context: Record<string, string>): Record<string, string> {
    const done = this.contexts.get(context);
    if (done !== undefined) return done;
    let copy: Record<string, string> | undefined;
    for (const key of Object.keys(context)) {
      if (!this.attributes.has(key)) continue;
      const value = context[key];
      if (typeof value !== 'string' || value.startsWith(HASHED_PREFIX)) continue;
      if (copy === undefined) copy = { ...context };
      copy[key] = this.hash(value);
    }
    const result = copy === undefined ? context : Object.isFrozen(context) ? Object.freeze(copy) : copy;
    this.contexts.set(context, result);
    if (result !== context) this.contexts.set(result, result);
    return result;
  }
}
