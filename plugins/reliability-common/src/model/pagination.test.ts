import { decodeCursor, encodeCursor, pageOf, pageParams } from './pagination';
import { z } from 'zod';

describe('pagination', () => {
  it('round-trips cursors and refuses foreign ones', () => {
    for (const o of [0, 1, 99, 123456])
      expect(decodeCursor(encodeCursor(o))).toBe(o);
    for (const bad of [
      '',
      'x',
      '!!!',
      encodeCursor(1).slice(0, 2),
      btoa('o:-1'),
      btoa('o:1e9'),
      btoa(`o:${'9'.repeat(20)}`),
    ])
      expect(decodeCursor(bad)).toBeUndefined();
    const schema = z.object(pageParams).strict();
    expect(schema.safeParse({ cursor: 'nope' }).success).toBe(false);
    expect(schema.safeParse({ limit: '0' }).success).toBe(false);
    expect(schema.safeParse({ limit: '1001' }).success).toBe(false);
    expect(
      schema.safeParse({ limit: '5', cursor: encodeCursor(5) }).success,
    ).toBe(true);
  });

  it('walks a list page by page without losing or repeating items', () => {
    const all = Array.from({ length: 23 }, (_, i) => i);
    const seen: number[] = [];
    let offset = 0;
    for (let guard = 0; guard < 10; guard++) {
      const page = pageOf(all, offset, 5);
      seen.push(...page.items);
      if (!page.nextCursor) break;
      offset = decodeCursor(page.nextCursor)!;
    }
    expect(seen).toEqual(all);
    expect(pageOf(all.slice(20, 26), 20, 5, true)).toEqual({
      items: [20, 21, 22],
    });
  });
});
