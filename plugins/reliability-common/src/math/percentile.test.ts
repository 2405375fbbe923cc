import { percentile } from './percentile';

describe('percentile', () => {
  it('takes nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 95)).toBe(95);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile([], 95)).toBeNull();
    expect(percentile([7], 99)).toBe(7);
  });
});
