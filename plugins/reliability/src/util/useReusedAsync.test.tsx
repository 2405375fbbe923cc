import { act, render, screen } from '@testing-library/react';
import { ReliabilityClient } from '../api/ReliabilityApi';
import { useReusedAsync } from './useReusedAsync';

function Slos({
  client,
  entityRef,
  renders,
}: {
  client: ReliabilityClient;
  entityRef: string;
  renders: string[];
}) {
  const { value, loading, error, retry } = useReusedAsync(
    client,
    () => client.listSlos(entityRef),
    [client, entityRef],
  );
  let shown = `${value?.items.length} SLOs`;
  if (error) shown = `error: ${error.message}`;
  else if (loading)
    shown = `loading${value ? ` (was ${value.items.length})` : ''}`;
  renders.push(shown);
  return (
    <button type="button" onClick={retry}>
      {shown}
    </button>
  );
}

describe('useReusedAsync', () => {
  const discoveryApi = {
    getBaseUrl: async () => 'http://localhost:7007/api/reliability',
  };

  it('draws an answer the client holds in the first render, loads the others, and retries a failure', async () => {
    const calls: string[] = [];
    let status = 200;
    const fetchApi = {
      fetch: async (url: any) => {
        calls.push(String(url));
        if (status !== 200)
          return new Response(
            JSON.stringify({ error: { name: 'Error', message: 'down' } }),
            { status, headers: { 'content-type': 'application/json' } },
          );
        return new Response(
          JSON.stringify({ items: [{ ref: 'a' }, { ref: 'b' }] }),
          { status: 200 },
        );
      },
    };
    const client = new ReliabilityClient({
      discoveryApi,
      fetchApi: fetchApi as any,
    });

    // the first visit loads
    const first: string[] = [];
    const a = render(
      <Slos client={client} entityRef="component:default/a" renders={first} />,
    );
    expect(await screen.findByText('2 SLOs')).toBeTruthy();
    expect(first[0]).toBe('loading');
    a.unmount();

    // coming back: the first render already shows the SLOs, and nothing is asked again
    const back: string[] = [];
    const b = render(
      <Slos client={client} entityRef="component:default/a" renders={back} />,
    );
    expect(back[0]).toBe('2 SLOs');
    expect(back).not.toContain('loading');
    expect(calls).toHaveLength(1);
    b.unmount();

    // a failure shows, is not kept, and Retry asks again
    status = 503;
    const failing: string[] = [];
    render(
      <Slos
        client={client}
        entityRef="component:default/b"
        renders={failing}
      />,
    );
    expect(await screen.findByText(/^error: .*503/)).toBeTruthy();
    status = 200;
    await act(async () => screen.getByText(/^error: .*503/).click());
    expect(await screen.findByText('2 SLOs')).toBeTruthy();
    expect(calls.filter(c => c.endsWith('%2Fb'))).toHaveLength(2);
  });

  it('loads as before with an API that does not reuse answers (a test double)', async () => {
    const api = { listSlos: async () => ({ items: [{ ref: 'a' }] }) } as any;
    const renders: string[] = [];
    render(
      <Slos client={api} entityRef="component:default/a" renders={renders} />,
    );
    expect(await screen.findByText('1 SLOs')).toBeTruthy();
    expect(renders[0]).toBe('loading');
  });
});
