/**
 * The redaction detectors, the app's patterns and function, and truncation, on plain strings.
 */
import { describe, expect, it } from 'vitest';
import { DROPPED, luhnValid, redactBuiltIn, Redactor, truncate } from '../../src/privacy/redact.js';

describe('built-in detectors', () => {
  it.each([
    ['an e-mail address', 'write to jane.doe+ops@mail.example.co.uk today', 'write to [redacted:email] today'],
    ['a Visa test card with spaces', 'card 4111 1111 1111 1111 exp 12/29', 'card [redacted:card] exp 12/29'],
    ['a Mastercard test card with dashes', 'pay 5555-5555-5555-4444.', 'pay [redacted:card].'],
    ['an Amex test card (15 digits)', 'amex 378282246310005', 'amex [redacted:card]'],
    ['an OpenAI project key', `key sk-proj-${'Ab3'.repeat(20)} end`, 'key [redacted:openai_key] end'],
    ['a legacy OpenAI key', `sk-${'x9'.repeat(24)}`, '[redacted:openai_key]'],
    ['an Anthropic key', `ANTHROPIC_API_KEY=sk-ant-api03-${'Q'.repeat(40)}-AA`, 'ANTHROPIC_API_KEY=[redacted:anthropic_key]'],
    ['an AWS access key id', 'aws AKIAIOSFODNN7EXAMPLE ok', 'aws [redacted:aws_key] ok'],
    ['a GitHub classic token', `ghp_${'a1B2'.repeat(9)}`, '[redacted:github_token]'],
    ['a GitHub fine-grained token', `github_pat_11ABCDEFG0${'x'.repeat(40)}`, '[redacted:github_token]'],
    [
      'a JWT',
      'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U rest',
      'token [redacted:jwt] rest',
    ],
    ['a bearer token', 'Authorization: Bearer abc.DEF-123_456~xyz', 'Authorization: Bearer [redacted:token]'],
    ['a password assignment', 'password="hunter2hunter2"', 'password="[redacted:secret]"'],
    ['an IPv4 address', 'from 192.168.10.254:8080', 'from [redacted:ip]:8080'],
    ['an IPv6 address', 'host 2001:db8::8a2e:370:7334 up', 'host [redacted:ip] up'],
    ['an international phone number', 'call +44 20 7946 0958 now', 'call [redacted:phone] now'],
    ['a North American phone number', 'call (415) 555-2671 or 415.555.2671', 'call [redacted:phone] or [redacted:phone]'],
  ])('replaces %s', (_name, input, expected) => {
    expect(redactBuiltIn(input)).toBe(expected);
  });

  it.each([
    ['a 16-digit number that fails the Luhn check', 'order 4111 1111 1111 1112'],
    ['a date and a model name', 'gpt-4o-2024-08-06 released 2024-08-06'],
    ['a time of day and a ratio', 'at 12:30:45, mix 1:2:3'],
    ['a version number', 'node 20.20.2 and prom-client 15.1.3'],
    ['an order number of 10 digits', 'order 1234567890'],
    ['a word ending in -sk', 'the task-management-framework-of-the-year'],
    ['a MAC address', 'mac 00:1A:2B:3C:4D:5E'],
    ['a long digit run (not a card)', 'id 123456789012345678901234'],
  ])('leaves %s alone', (_name, input) => {
    expect(redactBuiltIn(input)).toBe(input);
  });

  it('checks card numbers with Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('7992739871x')).toBe(false);
  });
});

describe('Redactor', () => {
  it('applies the app patterns (made global) after the built-ins, then the app function', () => {
    const redactor = new Redactor({
      patterns: [/EMP-\d{5}/, { pattern: /project (\w+)/gi, replacement: 'project [codename]' }],
      fn: (text) => text.toUpperCase(),
    });
    expect(redactor.redact('EMP-12345 and EMP-67890 on Project Falcon, mail a@b.io')).toBe(
      '[REDACTED] AND [REDACTED] ON PROJECT [CODENAME], MAIL [REDACTED:EMAIL]',
    );
  });

  it('drops the text when the app function throws or returns something else (fail closed)', () => {
    expect(new Redactor({ fn: () => { throw new Error('bad'); } }).redact('secret text')).toBe(DROPPED);
    expect(new Redactor({ fn: () => 42 as unknown as string }).redact('secret text')).toBe(DROPPED);
  });

  it('keeps the same results call after call (no shared lastIndex)', () => {
    const redactor = new Redactor({ patterns: [/x\d/g] });
    for (let i = 0; i < 3; i++) expect(redactor.redact('x1 x2')).toBe('[redacted] [redacted]');
  });
});

describe('truncate', () => {
  it('keeps short text as is and cuts long text, saying how much', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('a'.repeat(25), 10)).toBe(`${'a'.repeat(10)}…[truncated 15 chars]`);
  });

  it('never splits a surrogate pair', () => {
    const text = `${'a'.repeat(9)}😀tail`;
    expect(truncate(text, 10)).toBe(`${'a'.repeat(9)}…[truncated 6 chars]`);
  });
});
