/**
 * Redaction: what captured text goes through before it leaves the monitor. Built-in detectors replace
 * secrets (API keys of OpenAI, Anthropic, AWS, GitHub; JWTs; bearer and basic credentials; key=value
 * credentials), e-mail addresses, payment card numbers (only digit runs that pass the Luhn check), IP
 * addresses (v4, and v6 confirmed by `net.isIPv6`) and phone numbers (international `+` form and the
 * North American 3-3-4 form) with a `[redacted:<kind>]` marker. Then the app's own patterns, then the
 * app's own function. Then truncation to `maxLength`, after redaction, so a cut never splits a secret
 * into a piece the detectors would miss.
 *
 * Fail closed: if the app's function throws, the text is dropped, not passed through.
 */
import { isIPv6 } from 'node:net';

export interface RedactPattern {
  pattern: RegExp;
  /** Default `[redacted]`. */
  replacement?: string;
}

export interface RedactOptions {
  /** More patterns to replace (every match: a pattern without the `g` flag is applied as if it had it). */
  patterns?: (RegExp | RedactPattern)[];
  /** Last word on each text, after the built-in detectors and the patterns. */
  fn?: (text: string) => string;
}

/** A text that could not be redacted (the app's function threw) is replaced by this. */
export const DROPPED = '[redacted:dropped]';

const mark = (kind: string) => `[redacted:${kind}]`;

/**
 * Secrets first: a key must be gone before the e-mail, card or phone detectors look at its digits.
 * Each detector has a cheap `includes` test in front, so text without its telltale pays no regex scan.
 */
const SECRETS: [(text: string) => boolean, RegExp, string | ((match: string, ...groups: string[]) => string)][] = [
  // Anthropic before OpenAI: `sk-ant-...` also starts with `sk-`.
  [(t) => t.includes('sk-ant-'), /\bsk-ant-[A-Za-z0-9_-]{16,}/g, mark('anthropic_key')],
  // OpenAI: legacy `sk-` + 48, project `sk-proj-`, service account `sk-svcacct-`, admin `sk-admin-`.
  [(t) => t.includes('sk-'), /\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{16,}/g, mark('openai_key')],
  // AWS access key ids (long-term AKIA, temporary ASIA).
  [(t) => t.includes('AKIA') || t.includes('ASIA'), /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, mark('aws_key')],
  // GitHub: classic tokens (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained `github_pat_`.
  [(t) => t.includes('gh'), /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, mark('github_token')],
  [(t) => t.includes('github_pat_'), /\bgithub_pat_[A-Za-z0-9_]{22,}/g, mark('github_token')],
  // JWT: base64url header and payload both open with `{"` (eyJ), then a signature.
  [(t) => t.includes('eyJ'), /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, mark('jwt')],
  // Bearer / Basic credentials, wherever they appear (an Authorization header pasted into a prompt).
  [(t) => /bearer|basic/i.test(t), /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, (_m, scheme: string) => `${scheme} ${mark('token')}`],
  // key = value credentials: `api_key: ...`, `"x-api-key": "..."`, `password=...`, `Authorization: ...`
  // (a value already replaced, or a Bearer / Basic scheme handled above, is left as it is).
  [
    (t) => t.includes(':') || t.includes('='),
    /\b((?:api[_-]?key|x-api-key|access[_-]?token|secret(?:[_-]?key)?|password|passwd|authorization)["']?\s*[:=]\s*["']?)(?!(?:Bearer|Basic)\s|\[redacted)[^\s"',;]{6,}/gi,
    (_m, name: string) => `${name}${mark('secret')}`,
  ],
];

/** 13 to 19 digits, optionally grouped by single spaces or dashes; confirmed by Luhn. */
const CARD = /(?<![\d.-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
const IPV4 = /(?<![\d.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\d.]*\d)/g;
/** A run of hex groups and colons; only runs `net.isIPv6` accepts are replaced (not times like 12:30:45). */
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])/g;
/** `+` country code then 7 to 14 more digits, grouped by spaces, dots, dashes or parentheses. */
const PHONE_INTERNATIONAL = /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?![\w])/g;
/** North American: (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567, with an optional 1. */
const PHONE_NANP = /(?<![\w.-])(?:1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-])/g;

/** The Luhn checksum of a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** Characters of an e-mail address's local part and domain (the common, unquoted forms). */
const LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
const DOMAIN_CHAR = /[A-Za-z0-9.-]/;
const EMAIL_AT = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$/;

/**
 * E-mail addresses, found from each `@` outwards: a regex scanning the whole text would try every
 * word as a local part (ten times slower on prose).
 */
function redactEmails(text: string): string {
  let out = '';
  let copied = 0;
  let at = text.indexOf('@');
  while (at >= 0) {
    let start = at;
    while (start > copied && LOCAL_CHAR.test(text[start - 1])) start--;
    let end = at + 1;
    while (end < text.length && DOMAIN_CHAR.test(text[end])) end++;
    // A sentence's full stop or a dash after the domain is not part of it.
    while (end > at + 1 && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
    if (start < at && EMAIL_AT.test(text.slice(start, end))) {
      out += text.slice(copied, start) + mark('email');
      copied = end;
    }
    at = text.indexOf('@', Math.max(at + 1, copied));
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** The built-in detectors, in order. */
export function redactBuiltIn(text: string): string {
  for (const [worthScanning, pattern, replacement] of SECRETS) {
    if (worthScanning(text)) text = text.replace(pattern, replacement as string);
  }
  if (text.includes('@')) text = redactEmails(text);
  // The number detectors need this many digits in the text: a card 13, a phone 8, an IPv4 address 4.
  const digits = digitCount(text);
  if (digits >= 13) {
    text = text.replace(CARD, (match) => {
      const d = match.replace(/[ -]/g, '');
      return d.length >= 13 && d.length <= 19 && luhnValid(d) ? mark('card') : match;
    });
  }
  if (digits >= 4 && text.includes('.')) text = text.replace(IPV4, mark('ip'));
  // An IPv6 address has at least two colons.
  const colon = text.indexOf(':');
  if (colon >= 0 && text.indexOf(':', colon + 1) >= 0) text = text.replace(IPV6, (match) => (isIPv6(match) ? mark('ip') : match));
  if (digits >= 8 && text.includes('+')) {
    text = text.replace(PHONE_INTERNATIONAL, (match) => {
      const n = digitCount(match);
      // E.164: at most 15 digits; fewer than 8 is a code or a quantity, not a phone number.
      return n >= 8 && n <= 15 ? mark('phone') : match;
    });
  }
  if (digits >= 10) text = text.replace(PHONE_NANP, mark('phone'));
  return text;
}

/** Redacts one text: built-ins, then the app's patterns, then the app's function. */
export class Redactor {
  private readonly patterns: { pattern: RegExp; replacement: string }[];
  private readonly fn: ((text: string) => string) | undefined;

  constructor(options: RedactOptions = {}) {
    this.patterns = (options.patterns ?? []).map((p) => {
      const pattern = p instanceof RegExp ? p : p.pattern;
      const replacement = p instanceof RegExp ? '[redacted]' : (p.replacement ?? '[redacted]');
      // Every match, whatever flags the app gave; a fresh RegExp so lastIndex is never shared.
      return { pattern: new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g'), replacement };
    });
    this.fn = options.fn;
  }

  /** The redacted text; `DROPPED` when the app's function throws or returns a non-string. */
  redact(text: string): string {
    text = redactBuiltIn(text);
    for (const { pattern, replacement } of this.patterns) text = text.replace(pattern, replacement);
    if (this.fn !== undefined) {
      try {
        const out = this.fn(text);
        return typeof out === 'string' ? out : DROPPED;
      } catch {
        return DROPPED;
      }
    }
    return text;
  }
}

/** Cut a text to `max` characters, saying how much was cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never split a UTF-16 surrogate pair.
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…[truncated ${text.length - end} chars]`;
}
