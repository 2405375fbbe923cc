import { mockServices } from '@backstage/backend-test-utils';
import { readCollatorSettings } from './config';

const read = (reliability?: object) =>
  readCollatorSettings(
    mockServices.rootConfig({
      data: reliability ? { search: { collators: { reliability } } } : {},
    }),
  );

describe('search.collators.reliability', () => {
  it('defaults to every 10 minutes, pages of 500 and the pages under /reliability', () => {
    expect(read()).toEqual({
      schedule: {
        frequency: { minutes: 10 },
        timeout: { minutes: 15 },
        initialDelay: { seconds: 3 },
      },
      pageSize: 500,
      pagesPath: '/reliability',
    });
  });

  it('reads a schedule, a page size and a pages path', () => {
    expect(
      read({
        schedule: { frequency: { minutes: 1 }, timeout: { minutes: 2 } },
        pageSize: 1000,
        pagesPath: '/sre',
      }),
    ).toEqual({
      schedule: { frequency: { minutes: 1 }, timeout: { minutes: 2 } },
      pageSize: 1000,
      pagesPath: '/sre',
    });
  });

  it.each([
    [
      { pageSize: 0 },
      'search.collators.reliability.pageSize must be a whole number from 1 to 1000, got 0',
    ],
    [
      { pageSize: 1001 },
      'search.collators.reliability.pageSize must be a whole number from 1 to 1000, got 1001',
    ],
    [
      { pageSize: 2.5 },
      'search.collators.reliability.pageSize must be a whole number from 1 to 1000, got 2.5',
    ],
    [
      { pagesPath: 'reliability' },
      'search.collators.reliability.pagesPath must start with / and not end with one',
    ],
    [
      { pagesPath: '/reliability/' },
      'search.collators.reliability.pagesPath must start with / and not end with one',
    ],
    [
      { schedule: { frequency: 'often' } },
      'search.collators.reliability.schedule:',
    ],
  ])('refuses %j naming the key', (value, message) => {
    expect(() => read(value)).toThrow(message);
  });
});
