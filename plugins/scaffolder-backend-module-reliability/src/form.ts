/** A form's value without the keys left empty (undefined, null, ''), at any depth: a template's optional fields. */
export function withoutEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutEmpty);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined && x !== null && x !== '')
        .map(([k, x]) => [k, withoutEmpty(x)]),
    );
  }
  return v;
}
