import { fixedPercent } from './formatting';

describe('fixedPercent', () => {
  it('keeps a fixed number of decimals', () => {
    expect(fixedPercent(0.45437)).toBe('45.4%');
    expect(fixedPercent(1)).toBe('100.0%');
    expect(fixedPercent(-0.125, 2)).toBe('-12.50%');
    expect(fixedPercent(null)).toBe('—');
    expect(fixedPercent(NaN)).toBe('—');
  });
});
