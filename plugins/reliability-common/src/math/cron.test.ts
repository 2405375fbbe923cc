import { cronShortestGapMs } from './cron';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('cronShortestGapMs', () => {
  it.each([
    ['*/5 * * * *', 5 * MIN],
    ['0 3 * * *', DAY],
    ['0 0,23 * * *', HOUR], // 23:00 to the next day's 00:00
    ['0 0,23 * * 1', 23 * HOUR], // Mondays only: 00:00 to 23:00 is the shortest
    ['30 2 * * 0', 7 * DAY],
    ['0 0 1 * *', 28 * DAY], // February
    ['0 0 29 2 *', 4 * 365 * DAY + DAY], // leap days, four years apart
    ['0 9-17/2 * * 1-5', 2 * HOUR],
    ['0 0 1,15 * 1', DAY], // both day fields restricted: the 1st, the 15th or a Monday
  ])('%s runs at most every %d ms', (cron, gap) => {
    expect(cronShortestGapMs(cron)).toBe(gap);
  });

  it('says when an expression does not parse', () => {
    expect(cronShortestGapMs('61 * * * *')).toBeUndefined();
    expect(cronShortestGapMs('not a cron')).toBeUndefined();
    // cron-parser refuses a date that never comes (30 February)
    expect(cronShortestGapMs('0 0 30 2 *')).toBeUndefined();
  });
});
