import { mergeRanges, subtractRanges } from './ranges';

describe('time ranges', () => {
  it('cuts an interval around merged ranges', () => {
    expect(
      mergeRanges([
        { start: 5, end: 7 },
        { start: 1, end: 3 },
        { start: 3, end: 4 },
        { start: 6, end: 9 },
        { start: 2, end: 2 },
      ]),
    ).toEqual([
      { start: 1, end: 4 },
      { start: 5, end: 9 },
    ]);
    expect(
      subtractRanges({ start: 0, end: 10 }, [
        { start: 1, end: 4 },
        { start: 5, end: 9 },
      ]),
    ).toEqual([
      { start: 0, end: 1 },
      { start: 4, end: 5 },
      { start: 9, end: 10 },
    ]);
    expect(
      subtractRanges({ start: 2, end: 6 }, [
        { start: 1, end: 4 },
        { start: 5, end: 9 },
      ]),
    ).toEqual([{ start: 4, end: 5 }]);
    expect(
      subtractRanges({ start: 0, end: 10 }, [{ start: -5, end: 20 }]),
    ).toEqual([]);
    expect(subtractRanges({ start: 0, end: 10 }, [])).toEqual([
      { start: 0, end: 10 },
    ]);
  });
});
