/**
 * The value of a result that must be ok; otherwise the test fails with the result's error. Lets a test read the
 * value without asserting conditionally.
 */
export function okValue<T>(
  r: { ok: true; value: T } | { ok: false; error: string },
): T {
  if (!r.ok) throw new Error(`expected an ok result, got: ${r.error}`);
  return r.value;
}
