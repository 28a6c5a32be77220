/**
 * Test assertions: node:assert/strict, plus the few shapes the tests use often.
 *
 * @module
 */
import assert from "node:assert/strict";

export { assert };

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assert.deepStrictEqual(actual, expected, message);
}

/** `actual` matches `re`. */
export function assertMatch(actual: string, re: RegExp, message?: string): void {
  assert.match(actual, re, message);
}

/**
 * `fn` throws; returns what it threw. With `type` and `includes`, the error must be of that
 * class and its message must contain the text.
 */
export function assertThrows(
  fn: () => unknown,
  type?: new (...args: never[]) => Error,
  includes?: string,
): unknown {
  try {
    fn();
  } catch (e) {
    if (type) assert.ok(e instanceof type, `expected ${type.name}, got ${e}`);
    if (includes) {
      assert.ok(
        (e as Error).message.includes(includes),
        `"${(e as Error).message}" does not contain "${includes}"`,
      );
    }
    return e;
  }
  assert.fail("expected an exception");
}
