/**
 * Clinical text and identities travel as Confidential values. Printing one by accident —
 * in a log line, an error message, a JSON response — shows "[confidential]". Only
 * `reveal()`, called on purpose where the value is needed, gives the text.
 */
const inspect = Symbol.for('nodejs.util.inspect.custom');
const REDACTED = '[confidential]';

export class Confidential<T = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect](): string {
    return REDACTED;
  }
}

export function confidential<T>(value: T): Confidential<T> {
  return new Confidential(value);
}
