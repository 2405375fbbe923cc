import { getContrastRatio } from '@mui/material/styles';
import { legibleOn, MIN_TEXT_CONTRAST, textOnFill } from './legibility';

describe('textOnFill', () => {
  it('keeps white on a fill where white reads (the light theme red)', () => {
    expect(textOnFill('#d32f2f')).toBe('#fff');
  });

  it.each([
    ['the light theme warning orange', '#ed6c02'],
    ['the dark theme error red', '#f44336'],
    ['the dark theme success green', '#66bb6a'],
  ])('chooses black on %s, where white misses 4.5:1', (_, fill) => {
    expect(getContrastRatio('#fff', fill)).toBeLessThan(MIN_TEXT_CONTRAST);
    expect(textOnFill(fill)).toBe('#000');
    expect(getContrastRatio(textOnFill(fill), fill)).toBeGreaterThanOrEqual(
      MIN_TEXT_CONTRAST,
    );
  });
});

describe('legibleOn', () => {
  it('returns a colour that already reads at 5:1 unchanged', () => {
    expect(legibleOn('#b71c1c', '#ffffff')).toBe('#b71c1c');
  });

  it('lightens the dark theme error red on the dark paper until it reads at 4.5:1', () => {
    expect(getContrastRatio('#f44336', '#424242')).toBeLessThan(2.8);
    const c = legibleOn('#f44336', '#424242');
    expect(c).not.toBe('#f44336');
    expect(getContrastRatio(c, '#424242')).toBeGreaterThanOrEqual(
      MIN_TEXT_CONTRAST,
    );
  });

  it('keeps 4.5:1 under the tint of a hovered row (the light theme orange of a burn over its ticket threshold)', () => {
    const c = legibleOn('#ed6c02', '#ffffff');
    // MUI's hover on a table row: rgba(0, 0, 0, 0.04) over white
    expect(getContrastRatio(c, '#f5f5f5')).toBeGreaterThanOrEqual(
      MIN_TEXT_CONTRAST,
    );
  });

  it('darkens an orange on white until it reads at 4.5:1', () => {
    const c = legibleOn('#ed6c02', '#ffffff');
    expect(getContrastRatio(c, '#ffffff')).toBeGreaterThanOrEqual(
      MIN_TEXT_CONTRAST,
    );
  });

  it('ends at white or black when no tint of the colour reads', () => {
    expect(legibleOn('#777777', '#767676')).toMatch(/^(#fff|#000|rgb)/);
    expect(
      getContrastRatio(legibleOn('#777777', '#767676'), '#767676'),
    ).toBeGreaterThanOrEqual(MIN_TEXT_CONTRAST);
  });
});
